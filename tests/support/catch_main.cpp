// Catch2 2.x: the test runner's main().
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
