#include "support/catch.h"

#include "pgseed/util/background_producer.h"

#include <stdexcept>

using namespace pgseed;

TEST_CASE("the background producer delivers every item in order", "[unit][producer]") {
  int produced = 0;
  util::BackgroundProducer producer([&](std::string& item) {
    item = std::to_string(++produced);
    return produced < 100;
  });
  std::string item;
  int expected = 0;
  bool more = true;
  while (more) {
    more = producer.next(item);
    CHECK(item == std::to_string(++expected));
  }
  CHECK(expected == 100);
}

TEST_CASE("the background producer hands its exception to the consumer", "[unit][producer]") {
  int produced = 0;
  util::BackgroundProducer producer([&](std::string& item) -> bool {
    if (++produced == 3) throw std::runtime_error("generator failed at 3");
    item = "x";
    return true;
  });
  std::string item;
  CHECK(producer.next(item));
  CHECK(producer.next(item));
  CHECK_THROWS_WITH(producer.next(item), "generator failed at 3");
}

TEST_CASE("a consumer may stop early", "[unit][producer]") {
  util::BackgroundProducer producer([](std::string& item) {
    item.assign(1000, 'x');
    return true;  // endless
  });
  std::string item;
  CHECK(producer.next(item));
  // The destructor stops and joins the worker.
}
