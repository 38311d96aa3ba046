"""The demo shop "Juniper & Pine": fictional data written for this project, and its builder."""
