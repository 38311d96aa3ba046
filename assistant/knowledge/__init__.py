"""Knowledge from transcripts (issue 17): answers mined from past conversations, reviewed by agents.

- :mod:`assistant.knowledge.distill`: a past reply -> a customer-independent text (placeholders,
  no claims);
- :mod:`assistant.knowledge.mining`: recurring questions -> answer candidates;
- :mod:`assistant.knowledge.repository`: candidates and approved answers in SQL (versioned, who
  approved and when) and the ``answers`` vector collection the assistant retrieves from;
- :mod:`assistant.knowledge.service`: the typed use cases the API, the UI and the CLI call.
"""
