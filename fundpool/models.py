"""Every mapped table, imported in one place so the metadata is complete."""

from fundpool.audit.models import AuditEvent
from fundpool.auth.models import ApiToken
from fundpool.auth.user_models import SignInAddress, User
from fundpool.db import Base
from fundpool.donations.models import (Donation, Donor, ImportJob, PassThroughPayment, Receipt,
                                       ReceiptBook)
from fundpool.funds.models import Allocation, Fund, FundGrant
from fundpool.idempotency import IdempotencyKey
from fundpool.ledger.models import Account, Entry, Hold, HoldLeg, Period, Posting
from fundpool.ledger.year_end_models import YearEnd, YearEndTotal
from fundpool.matching.models import (Need, NeedImportJob, Proposal, ProposalArea,
                                      ProposalCategory)
from fundpool.matching.run_models import MatchingRun, RunMatch, RunMatchNeed, RunShare
from fundpool.pools.models import Pool

__all__ = ["Base", "AuditEvent", "ApiToken", "Pool", "Account", "Entry", "Posting", "Hold",
           "HoldLeg", "Period", "IdempotencyKey", "Fund", "FundGrant", "Allocation", "Donor",
           "Donation", "PassThroughPayment", "ReceiptBook", "Receipt", "ImportJob", "Need",
           "NeedImportJob", "Proposal", "ProposalArea", "ProposalCategory", "MatchingRun",
           "RunMatch", "RunMatchNeed", "RunShare", "YearEnd", "YearEndTotal", "User",
           "SignInAddress"]
