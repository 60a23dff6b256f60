"""Jira Cloud: the client, the senders of what changes owe Jira, the webhook and the
reconciliation pass. A sibling of handlers/slack; bot/ wires them together."""
