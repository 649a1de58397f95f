"""The organiser's desk: the staff home after sign-in, a page per session gathering its tools, acting on balance
suggestions and on many registrations at once with their effect on balance shown first."""
