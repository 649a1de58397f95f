"""Reports for headquarters: a period and forums, sessions held, attendance and balance, no names."""
