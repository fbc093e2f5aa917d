"""The bottom layer: plumbing every package may import, importing nothing of ours above it.

URL guard (`urlguard`), secret masking (`masking`), the HTTP exchange log (`httplog`) and the
secret-key resolution (`secret_key`). No Django models, no channel types, no flows here; a
module that needs one of those belongs in the package above.
"""
