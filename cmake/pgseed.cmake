function(pgseed_add_database_targets)
endfunction()
