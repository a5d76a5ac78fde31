#include "pgseed/core/seed/dictionary.h"

namespace pgseed::core::seed {

const std::vector<std::string_view>& first_names() {
  static const std::vector<std::string_view> names = {
      "Ada", "Alan", "Amara", "Ana", "Arjun", "Barbara", "Carlos", "Chen", "Chloe", "Dmitri", "Edsger", "Elena",
      "Emeka", "Fatima", "Frances", "Grace", "Hana", "Hiro", "Ines", "Ivan", "Jamal", "Joan", "John", "Kai",
      "Ken", "Lara", "Leslie", "Liam", "Lin", "Lucia", "Maya", "Mei", "Mohammed", "Nadia", "Niklaus", "Noor",
      "Olga", "Omar", "Priya", "Radia", "Rosa", "Sara", "Sofia", "Tariq", "Tim", "Uma", "Vera", "Wei", "Yara", "Zoe"};
  return names;
}

const std::vector<std::string_view>& last_names() {
  static const std::vector<std::string_view> names = {
      "Adeyemi", "Allen", "Almeida", "Andersen", "Bauer", "Becker", "Chen", "Cohen", "Costa", "Dijkstra",
      "Dubois", "Fischer", "Garcia", "Gupta", "Haddad", "Hopper", "Ivanova", "Jensen", "Kato", "Khan",
      "Kim", "Knuth", "Kowalski", "Lamport", "Lee", "Liskov", "Lovelace", "Martin", "Meyer", "Moreau",
      "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Patel", "Perlman", "Petrov", "Rossi", "Santos",
      "Schmidt", "Silva", "Singh", "Tanaka", "Thompson", "Turing", "Virtanen", "Wang", "Wirth", "Yilmaz"};
  return names;
}

const std::vector<std::string_view>& words() {
  static const std::vector<std::string_view> list = {
      "market", "price", "volume", "trend", "order", "book", "signal", "strategy", "momentum", "reversal",
      "breakout", "support", "resistance", "liquidity", "spread", "bid", "ask", "rally", "dip", "volatility",
      "exchange", "token", "coin", "chain", "protocol", "yield", "staking", "wallet", "ledger", "block",
      "network", "fee", "swap", "pool", "oracle", "futures", "option", "hedge", "risk", "position",
      "portfolio", "balance", "profit", "loss", "target", "stop", "entry", "exit", "analysis", "chart",
      "candle", "indicator", "average", "index", "sentiment", "news", "report", "update", "outlook", "forecast",
      "bullish", "bearish", "steady", "sharp", "gradual", "strong", "weak", "higher", "lower", "early",
      "late", "daily", "weekly", "traders", "investors", "analysts", "funds", "regulators", "developers", "miners",
      "watch", "expect", "report", "signal", "confirm", "reject", "test", "break", "hold", "climb",
      "fall", "recover", "surge", "slide", "open", "close", "session", "quarter", "cycle", "upgrade"};
  return list;
}

}  // namespace pgseed::core::seed
