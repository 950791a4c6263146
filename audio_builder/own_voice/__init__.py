"""The teacher's own voice: which takes a script needs, recording them line by line, and
importing them from one whole reading (aligned with an offline speech recognizer).

May import: anything of the package but the command line (`cli`); its own commands live in
`own_voice.commands` and are registered by `cli`.
"""
