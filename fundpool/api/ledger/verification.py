"""Verification for auditors: the hash chains, the balances, and checkpoints."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from fundpool.api.ledger.schemas import CheckpointSchema, VerificationSchema
from fundpool.api.requests import db_session, principal
from fundpool.api.spec import documents_errors
from fundpool.auth.principal import require_role
from fundpool.ledger.verify import take_checkpoint, verify

blp = Blueprint("verification", __name__, url_prefix="/api/v1/verification",
                description="Prove the ledger was not altered behind the service's back")


@blp.route("")
class Verification(MethodView):
    @blp.response(200, VerificationSchema)
    @documents_errors(blp, 403)
    def get(self):
        """Re-check every entry hash, account chain and maintained balance."""
        require_role(principal(), "auditor")
        return verify(db_session())


@blp.route("/checkpoint")
class Checkpoint(MethodView):
    @blp.response(200, CheckpointSchema)
    @documents_errors(blp, 403)
    def get(self):
        """Every account's chain head now: keep it outside fundpool."""
        require_role(principal(), "auditor")
        return take_checkpoint(db_session())

    @blp.arguments(CheckpointSchema)
    @blp.response(200, VerificationSchema)
    @documents_errors(blp, 403)
    def post(self, checkpoint):
        """Verify everything, and that history up to a kept checkpoint is unchanged."""
        require_role(principal(), "auditor")
        return verify(db_session(), checkpoint)
