#include "pgseed/util/background_producer.h"

namespace pgseed::util {

BackgroundProducer::BackgroundProducer(std::function<bool(std::string&)> produce, std::size_t queue_depth)
    : produce_(std::move(produce)), queue_depth_(queue_depth < 1 ? 1 : queue_depth), worker_([this] { run(); }) {}

BackgroundProducer::~BackgroundProducer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void BackgroundProducer::run() {
  for (;;) {
    std::string item;
    bool more = false;
    std::exception_ptr error;
    try {
      more = produce_(item);
    } catch (...) {
      error = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return stopping_ || ready_.size() < queue_depth_; });
    if (stopping_) return;
    if (error) {
      error_ = error;
      finished_ = true;
    } else {
      ready_.push_back(std::move(item));
      finished_ = !more;
    }
    changed_.notify_all();
    if (finished_) return;
  }
}

bool BackgroundProducer::next(std::string& item) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty() || finished_; });
  if (ready_.empty()) {
    if (error_) std::rethrow_exception(error_);
    item.clear();
    return false;
  }
  item = std::move(ready_.front());
  ready_.pop_front();
  const bool more = !(finished_ && ready_.empty() && !error_);
  changed_.notify_all();
  return more || error_ != nullptr;  // an error still to come is reported on the next call
}

}  // namespace pgseed::util
