"""The kernel: plain records and protocols that every layer shares and that import nothing of ours above them.

Sources parse into these records, storage stores them, features reason about them, adapters receive views
built from them. Only `core.config`, `core.ids` and `core.views` (all leaves) may be imported from here.
"""
