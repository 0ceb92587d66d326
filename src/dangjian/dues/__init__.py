"""Party dues (党费): yearly assessment, the monthly ledger, arrears and the six-month lapse."""
