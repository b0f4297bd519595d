-- certa schema, version 7: find a certificate's successor (renew,
-- reissue) by index; expiry notifications skip renewed certificates.
CREATE INDEX certificate_predecessor ON certificate (predecessor_id);
