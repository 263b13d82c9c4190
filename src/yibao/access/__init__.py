"""Who may come in, and for how long (issue 19 items 3–4): server-side sign-in sessions for every kind of user
(staff, residents, hospital desks), revoked at sign-out and on a password change, and sign-in throttling by
client address and account with back-off, in place of a lock that anyone could trigger."""
