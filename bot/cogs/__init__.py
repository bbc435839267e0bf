"""The bot's cogs: one per concern (``ask``, ``library``, ``help``)."""

EXTENSIONS = ("bot.cogs.ask", "bot.cogs.library", "bot.cogs.help")
