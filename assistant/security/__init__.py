"""Trust-boundary guards (issue 11): what a customer may see, which links stay clickable, who may verify.

- :mod:`assistant.security.pii`: :class:`~assistant.security.pii.ForeignPIIGuard`, the output check
  that removes other customers' personal details from anything shown to a customer.
- :mod:`assistant.security.links`: links to hosts off the shop's allow-list become plain text.
- :mod:`assistant.security.identity`: failed identity checks limited per conversation, client
  address and claimed customer.
- :mod:`assistant.security.secrets`: card numbers, security codes and passwords typed in chat are
  redacted before a message is stored.
"""
