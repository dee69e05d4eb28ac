#!/bin/sh
# Regenerates the built-in Spanish phrases (run once by hand; the WAVs are committed).
# Needs Debian's espeak-ng and sox. Output: 8 kHz mono G.711 µ-law WAV, leading and
# trailing silence trimmed to 50 ms, peaks normalised to -3 dBFS.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say() { # file text
    # Voice "es" (Spain), 140 words per minute (espeak's default is 175), word gap 2.
    espeak-ng -v es -s 140 -g 2 -w "$tmp/raw.wav" "$2"
    sox "$tmp/raw.wav" -r 8000 -e u-law -b 8 -c 1 "$1.wav" \
        silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse \
        pad 0.05 0.05 gain -n -3
}

say voicemail-greeting "Deje su mensaje después de la señal."
say enter-pin "Introduzca su pin, seguido de almohadilla."
say wrong-pin "Pin incorrecto."
say you-have "Tiene"
say new-messages "mensajes nuevos."
say old-messages "mensajes antiguos."
say message-menu "Pulse 1 para repetir, 7 para borrar, 9 para guardar y pasar al siguiente, almohadilla para salir."
say no-more-messages "No hay más mensajes."
say no-messages "No hay mensajes."
say message-deleted "Mensaje borrado."
say record-prompt "Grabe su locución después de la señal. Pulse almohadilla para terminar."
say save-or-retry "Pulse 1 para guardar, 2 para grabar de nuevo."
say prompt-saved "Locución guardada."
say goodbye "Adiós."
say invalid "Número no válido."
say many "muchos"
n=0
for word in cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece \
    catorce quince dieciséis diecisiete dieciocho diecinueve veinte; do
    say "number-$n" "$word"
    n=$((n + 1))
done
