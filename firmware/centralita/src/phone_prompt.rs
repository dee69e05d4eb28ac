//! A prompt recorded from a phone (feature code `*77<n>`): the 8 kHz recording is converted to
//! the internal format, kept as prompt `tel-<n>` of the tenant (replacing an earlier one), and the
//! configuration change goes through the tenant document like any other, audited as done by the
//! phone's user.
use anyhow::Context;
use std::path::Path;
use store::document::model::Prompt;

/// Keeps `recording` as prompt `tel-<slot>`; returns its id.
pub fn keep(data: &Path, tenant_id: u32, slot: &str, recording: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(recording)
        .with_context(|| format!("reading the phone recording {}", recording.display()))?;
    let audio = media::wav::decode(&bytes).context("decoding the phone recording")?;
    let mono = downmix(&audio.samples, usize::from(audio.format.channels.max(1)));
    let pcm = media::resample::resample(&mono, audio.format.sample_rate, prompts::INTERNAL_RATE)
        .context("converting the phone recording")?;
    let id = format!("tel-{slot}");
    let folder = prompts::PromptFolder::new(data);
    let file = folder
        .store(prompts::FolderKind::Prompts, tenant_id, &id, &pcm)
        .context("storing the prompt")?;
    let mut store = store::Store::open(data)?;
    let mut doc = store.export_document(tenant_id)?;
    let prompt = Prompt {
        id: id.clone(),
        name: format!("Grabada desde teléfono {slot}"),
        file,
    };
    match doc.prompts.iter_mut().find(|p| p.id == id) {
        Some(existing) => *existing = prompt,
        None => doc.prompts.push(prompt),
    }
    store
        .import_document(&doc)
        .context("adding the prompt to the configuration")?;
    if let Err(e) = std::fs::remove_file(recording) {
        tracing::debug!(error = %e, "phone recording left in place");
    }
    tracing::info!(tenant = tenant_id, prompt = %id, "prompt recorded from a phone kept");
    Ok(id)
}

fn downmix(samples: &[i16], channels: usize) -> Vec<i16> {
    if channels <= 1 {
        return samples.to_vec();
    }
    samples
        .chunks(channels)
        .map(|frame| {
            let sum: i32 = frame.iter().map(|&s| i32::from(s)).sum();
            let n = i32::try_from(frame.len()).unwrap_or(1).max(1);
            i16::try_from(sum / n).unwrap_or(0)
        })
        .collect()
}
