-- Risk rules cap a tier's balance including what processing pay-ins will credit (a bank debit or a
-- crypto deposit screened when it was made, credited later): they are found through this index,
-- which holds only the few payments still processing.
CREATE INDEX payments_processing ON payments (livemode) WHERE status = 'processing';
