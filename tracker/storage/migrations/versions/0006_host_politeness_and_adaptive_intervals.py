"""host politeness and adaptive intervals

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('host_budgets',
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('tokens', sa.Float(), nullable=False),
    sa.Column('refilled_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('host', name=op.f('pk_host_budgets'))
    )
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('host', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('current_interval', sa.Float(), nullable=True))
        batch_op.create_index('ix_sources_host_lease', ['host', 'lease_until'], unique=False)
    # Sync fills in each source's host from its URL on the next start.


def downgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_index('ix_sources_host_lease')
        batch_op.drop_column('current_interval')
        batch_op.drop_column('host')
    op.drop_table('host_budgets')
