// Runs a producer on a worker thread, a couple of items ahead of the consumer.
//
// For pipelines where making the next piece and handing over the last one can overlap (generating
// COPY data while the server ingests the previous chunk). Items arrive in the order they were
// produced; an exception thrown by the producer is rethrown to the consumer.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace pgseed::util {

class BackgroundProducer {
public:
  // `produce` fills its (empty) buffer and returns false when it has produced its last item.
  explicit BackgroundProducer(std::function<bool(std::string&)> produce, std::size_t queue_depth = 2);
  ~BackgroundProducer();
  BackgroundProducer(const BackgroundProducer&) = delete;
  BackgroundProducer& operator=(const BackgroundProducer&) = delete;

  // Moves the next item into `item`. Returns false when that was the last one.
  bool next(std::string& item);

private:
  void run();

  std::function<bool(std::string&)> produce_;
  std::size_t queue_depth_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> ready_;
  bool finished_ = false;  // the producer returned false or threw
  bool stopping_ = false;  // the consumer is going away
  std::exception_ptr error_;
  std::thread worker_;
};

}  // namespace pgseed::util
