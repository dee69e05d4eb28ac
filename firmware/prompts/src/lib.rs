//! Prompt files: uploads decoded and converted once to the internal format, the prompts folder, and the firmware's built-in phrases.
