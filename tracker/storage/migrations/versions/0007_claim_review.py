"""claim review: own words, story, needs-review state of a claim

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 23:55:00
"""
from alembic import op
import sqlalchemy as sa
import tracker.storage.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('own_words', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('story_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('review', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('review_reasons', tracker.storage.types.JsonType, nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', tracker.storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by', sa.String(length=120), nullable=True))
        batch_op.create_index('ix_claims_event', ['event_id'], unique=False)
        batch_op.create_index('ix_claims_review', ['review', 'reviewed_at'], unique=False)
        batch_op.create_index('ix_claims_story', ['story_id'], unique=False)
    # Earlier claims: the story of their statement (0005 made each earlier statement its own).
    op.execute(
        "UPDATE claims SET story_id = COALESCE("
        "(SELECT statements.cluster_id FROM statements WHERE statements.id = claims.statement_id),"
        " statement_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('ix_claims_story')
        batch_op.drop_index('ix_claims_review')
        batch_op.drop_index('ix_claims_event')
        batch_op.drop_column('reviewed_by')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('review_reasons')
        batch_op.drop_column('review')
        batch_op.drop_column('story_id')
        batch_op.drop_column('own_words')
