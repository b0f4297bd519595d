-- certa schema, version 3: an index of trust entries by subject, for the
-- targeted snapshot of one-shot checks (holder.c).  subject_key is the
-- lower-case hex of the subject Name's canonical hash
-- (X509_NAME_hash_ex, as the snapshot matches names); rows that predate
-- this migration have NULL until rewritten.
ALTER TABLE trust_entry ADD COLUMN subject_key TEXT;
CREATE INDEX trust_entry_subject_key ON trust_entry (subject_key);
