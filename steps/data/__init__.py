"""The data: the Oxford-IIIT Pet format and synthetic pets (oxford), safe reading of batch
folders and archives (archive), checking and repairing samples (samples), the schema of what
was not used and why (rejects), and reading transform's shards back (shards)."""
