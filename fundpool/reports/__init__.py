"""Reports over the ledger: balances and rollups, fund statements, the trial balance
(试算平衡表) and the activity statement (业务活动表). Plain Python over sessions; they
only read. docs/reports.md explains each figure."""
