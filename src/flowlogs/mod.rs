//! Reader of AWS VPC Flow Logs (issue 5): typed records from every delivery form.
