/*  =========================================================================
    guarantee_options - every option of kejin-guarantee, with its kind and
    range

    In the library, not in main, so that `kejin config check` knows them
    and checks a node's whole file the way the daemon does. kj_service
    declares the same paths for every daemon; this table's rows win.
    =========================================================================
*/

#include "guarantee_server.h"

const kj_option_t guarantee_options [] = {
    KJ_OPTIONS_NODE,
    KJ_OPTIONS_DB,
    KJ_OPTIONS_SERVICE ("guarantee", "2", 64),
    { "guarantee/suspend_loss_ratio_bp", "0",
      "suspend a guarantor or bank from new claims when its 代偿 pass this "
      "share of what it guaranteed, in basis points (500 = 5%; 0: never)",
      KJ_INT (0, 10000) },
    { "guarantee/shortfall", "queue",
      "a claim that meets a year's budget with too little left: queue (wait "
      "in order for the next year's) or pro_rata (paid the share the budget "
      "left bears of the claims approved and unpaid)",
      KJ_CHOICE ("queue pro_rata") },
    { "guarantee/budget_guard", "commit",
      "how a payment guards the budget: slice (the budget left dealt into "
      "guarantee/budget_slices rows, a payment taking from one no other "
      "payer holds), update (a conditional UPDATE of the budget row, the "
      "payment's last statement), commit (the same UPDATE run by a trigger "
      "at commit), lock (SELECT ... FOR UPDATE first) or serializable "
      "(db/dsn must set default_transaction_isolation=serializable)",
      KJ_CHOICE ("update commit lock serializable slice") },
    { "guarantee/pay_batch", "32",
      "PayClaims one worker may be sent at once and pay in one transaction "
      "when they come together (budget_guard=commit with shortfall=queue "
      "only; other guards pay each alone, whatever this says; 1: always "
      "alone)",
      KJ_INT (1, 32) },
    { "guarantee/budget_slices", "16",
      "how many slices the slice guard deals a year's budget left into",
      KJ_INT (1, 256) },
    { "guarantee/backing_expire_s", "7776000",
      "a backing of an application with no disbursement this many seconds "
      "after it was recorded expires (7776000: 90 days)",
      KJ_INT (1, 315360000) },
    { "guarantee/disbursement_keep_s", "7776000",
      "disbursements of applications no guarantor backs yet are remembered "
      "this many seconds, for a backing recorded later",
      KJ_INT (1, 315360000) },
    { "guarantee/disbursements_max", "100000",
      "... and at most this many of them (the oldest forgotten first)",
      KJ_INT (1, 10000000) },
    { "guarantee/startup_product_types", "FIRST_LOAN GUARANTEED",
      "registry product types whose products are 创业类 (start-up loans): "
      "a backing's category is checked against its application's product",
      KJ_TEXT_MAX (200) },
    { NULL }
};
