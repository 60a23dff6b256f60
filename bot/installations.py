"""slack_sdk's SQLAlchemyInstallationStore on the app's own database (its tables come
from migration 0010, never from create_tables()), with the two look-ups by workspace the
app needs (handlers.slack.clients.Installations)."""

from __future__ import annotations

from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import delete, desc, select


class InstallationStore(SQLAlchemyInstallationStore):
    def find_team_bot(self, team_id: str) -> Bot | None:
        """The workspace's latest bot with a token, whatever org it belongs to."""
        c = self.bots.c
        query = (
            select(self.bots)
            .where(c.client_id == self.client_id, c.team_id == team_id, c.bot_token.is_not(None))
            .order_by(desc(c.installed_at), desc(c.id))
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return self.build_bot_entity(row) if row is not None else None

    def delete_team(self, team_id: str) -> None:
        """Every token of the workspace, bot and installer alike, in one transaction.
        (Bolt's token-revocation listener deletes only the bot's row.)"""
        with self.engine.begin() as connection:
            for table in (self.bots, self.installations):
                connection.execute(
                    delete(table).where(
                        table.c.client_id == self.client_id, table.c.team_id == team_id
                    )
                )
