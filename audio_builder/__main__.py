from audio_builder.cli import main

main(prog_name="audio-builder")
