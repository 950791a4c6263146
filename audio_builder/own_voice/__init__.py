"""The teacher's own voice: which takes a script needs, recording them line by line, and
importing them from one whole reading (aligned with an offline speech recognizer).

May import: anything of the package but the command line (`cli`); its commands (takes,
record) are in the command line.
"""
