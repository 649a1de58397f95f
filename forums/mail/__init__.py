"""E-mail to participants: an outbox written in the transaction of each change, a sender, drafts, reminders, bounces.

- ``rules``, ``delivery``, ``verp`` and ``bounces`` are pure: which changes are mailed, how an SMTP answer is
  classified and retried, the return address that names a message, what a bounce report says.
- ``smtp`` speaks SMTP for one message to one recipient.
- ``outbox`` writes and moves rows (inside the caller's transaction); ``compose`` writes the message itself;
  ``sender`` claims rows and sends them; ``views`` are the staff pages; ``commands`` the worker commands.
"""
