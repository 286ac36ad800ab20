"""The scanner: walk (filesystem only) → runfolder (parse one run) → sync (reconcile with DB)."""
