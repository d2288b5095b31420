"""Console accounts: password hashing (argon2) and ``python -m bot.console create-user``.

There is no default user and no default password: every account is made on the
command line by someone with access to the database.
"""
