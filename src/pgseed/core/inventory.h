// What a database holds: exact row counts of every user table.
#pragma once

#include "pgseed/core/metadata.h"
#include "pgseed/pg/database.h"

namespace pgseed::core {

// Every ordinary and partitioned table outside the system schemas, except pgseed's own bookkeeping
// tables (pgseed_*) and tables that belong to extensions. Counts are exact (count(*)), not estimates.
RecordCounts count_records(pg::Connection& connection);

}  // namespace pgseed::core
