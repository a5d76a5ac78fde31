# Finds pgseed's libraries and exposes them as imported targets:
#   pgseed::libpqxx   libpqxx (CMake config package when there is one, pkg-config otherwise)
#   nlohmann_json::nlohmann_json, OpenSSL::Crypto
include_guard(GLOBAL)

# libpqxx 7.x installs a CMake config package; Debian 12's 6.4.5 has only pkg-config.
find_package(libpqxx CONFIG QUIET)
if(TARGET libpqxx::pqxx)
  add_library(pgseed::libpqxx INTERFACE IMPORTED)
  target_link_libraries(pgseed::libpqxx INTERFACE libpqxx::pqxx)
  message(STATUS "pgseed: libpqxx ${libpqxx_VERSION} (CMake package)")
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(_pgseed_pqxx REQUIRED IMPORTED_TARGET libpqxx libpq)
  add_library(pgseed::libpqxx INTERFACE IMPORTED)
  target_link_libraries(pgseed::libpqxx INTERFACE PkgConfig::_pgseed_pqxx)
  message(STATUS "pgseed: libpqxx ${_pgseed_pqxx_libpqxx_VERSION} (pkg-config)")
endif()

# libpq itself, for PQconninfoParse.
find_package(PostgreSQL QUIET)
if(NOT TARGET PostgreSQL::PostgreSQL)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(_pgseed_libpq REQUIRED IMPORTED_TARGET libpq)
  add_library(PostgreSQL::PostgreSQL INTERFACE IMPORTED)
  target_link_libraries(PostgreSQL::PostgreSQL INTERFACE PkgConfig::_pgseed_libpq)
endif()

find_package(nlohmann_json 3.10 REQUIRED)
find_package(OpenSSL 3.0 REQUIRED COMPONENTS Crypto)
find_package(Threads REQUIRED)
