"""Playing a track live for a group: a player you can pause, skip and hold, a terminal view,
and output backends (the system's audio, or a file for tests and recordings).

May import: anything of the package but the command line (`cli`): live sits beside the build
and prepares its track through it.
"""
