/**
 * Response and event samples of the Aster API docs the reference is compiled from ([DOCS-V1F]
 * futures, [DOCS-V1S] spot; asterdex/api-docs), values unchanged. The docs print them as
 * JavaScript with comments, trailing commas and a few missing commas; here they are the JSON the
 * venue sends. Where a doc sample is itself wrong JSON that is noted.
 */

export const futures = {
  time: `{"serverTime": 1499827319559}`,
  exchangeInfo: `{
    "exchangeFilters": [],
    "rateLimits": [
      {"interval": "MINUTE", "intervalNum": 1, "limit": 2400, "rateLimitType": "REQUEST_WEIGHT"},
      {"interval": "MINUTE", "intervalNum": 1, "limit": 1200, "rateLimitType": "ORDERS"}
    ],
    "serverTime": 1565613908500,
    "assets": [
      {"asset": "BUSD", "marginAvailable": true, "autoAssetExchange": 0},
      {"asset": "USDT", "marginAvailable": true, "autoAssetExchange": 0},
      {"asset": "BTC", "marginAvailable": false, "autoAssetExchange": null}
    ],
    "symbols": [{
      "symbol": "DOGEUSDT", "pair": "DOGEUSDT", "contractType": "PERPETUAL", "deliveryDate": 4133404800000,
      "onboardDate": 1598252400000, "status": "TRADING", "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000",
      "baseAsset": "BLZ", "quoteAsset": "USDT", "marginAsset": "USDT", "pricePrecision": 5, "quantityPrecision": 0,
      "baseAssetPrecision": 8, "quotePrecision": 8, "underlyingType": "COIN", "underlyingSubType": ["STORAGE"],
      "settlePlan": 0, "triggerProtect": "0.15",
      "filters": [
        {"filterType": "PRICE_FILTER", "maxPrice": "300", "minPrice": "0.0001", "tickSize": "0.0001"},
        {"filterType": "LOT_SIZE", "maxQty": "10000000", "minQty": "1", "stepSize": "1"},
        {"filterType": "MARKET_LOT_SIZE", "maxQty": "590119", "minQty": "1", "stepSize": "1"},
        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 100},
        {"filterType": "MIN_NOTIONAL", "notional": "1"},
        {"filterType": "PERCENT_PRICE", "multiplierUp": "1.1500", "multiplierDown": "0.8500", "multiplierDecimal": 4}
      ],
      "OrderType": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
      "timeInForce": ["GTC", "IOC", "FOK", "GTX", "HIDDEN"],
      "liquidationFee": "0.010000",
      "marketTakeBound": "0.30"
    }],
    "timezone": "UTC"
  }`,
  depth: `{"lastUpdateId": 1027024, "E": 1589436922972, "T": 1589436922959, "bids": [["4.00000000", "431.00000000"]], "asks": [["4.00000200", "12.00000000"]]}`,
  premiumIndex: `{"symbol": "BTCUSDT", "markPrice": "11793.63104562", "indexPrice": "11781.80495970", "estimatedSettlePrice": "11781.16138815",
    "lastFundingRate": "0.00038246", "nextFundingTime": 1597392000000, "interestRate": "0.00010000", "time": 1597370495002}`,
  fundingInfo: `[
    {"symbol": "INJUSDT", "interestRate": "0.00010000", "time": 1756197479000, "fundingIntervalHours": 8, "fundingFeeCap": 0.03, "fundingFeeFloor": -0.03},
    {"symbol": "ZORAUSDT", "interestRate": "0.00005000", "time": 1756197479000, "fundingIntervalHours": 4, "fundingFeeCap": 0.02, "fundingFeeFloor": -0.02}
  ]`,
  price: `{"symbol": "BTCUSDT", "price": "6000.01", "time": 1589437530011}`,
  bookTicker: `{"symbol": "BTCUSDT", "bidPrice": "4.00000000", "bidQty": "431.00000000", "askPrice": "4.00000200", "askQty": "9.00000000", "time": 1589437530011}`,
  newOrder: `{"clientOrderId": "testOrder", "cumQty": "0", "cumQuote": "0", "executedQty": "0", "orderId": 22542179, "avgPrice": "0.00000",
    "origQty": "10", "price": "0", "reduceOnly": false, "side": "BUY", "positionSide": "SHORT", "status": "NEW", "stopPrice": "9300",
    "closePosition": false, "symbol": "BTCUSDT", "timeInForce": "GTC", "type": "TRAILING_STOP_MARKET", "origType": "TRAILING_STOP_MARKET",
    "activatePrice": "9020", "priceRate": "0.3", "updateTime": 1566818724722, "workingType": "CONTRACT_PRICE", "priceProtect": false}`,
  queryOrder: `{"avgPrice": "0.00000", "clientOrderId": "abc", "cumQuote": "0", "executedQty": "0", "orderId": 1917641, "origQty": "0.40",
    "origType": "TRAILING_STOP_MARKET", "price": "0", "reduceOnly": false, "side": "BUY", "positionSide": "SHORT", "status": "NEW",
    "stopPrice": "9300", "closePosition": false, "symbol": "BTCUSDT", "time": 1579276756075, "timeInForce": "GTC",
    "type": "TRAILING_STOP_MARKET", "activatePrice": "9020", "priceRate": "0.3", "updateTime": 1579276756075,
    "workingType": "CONTRACT_PRICE", "priceProtect": false}`,
  cancelOrder: `{"clientOrderId": "myOrder1", "cumQty": "0", "cumQuote": "0", "executedQty": "0", "orderId": 283194212, "origQty": "11",
    "origType": "TRAILING_STOP_MARKET", "price": "0", "reduceOnly": false, "side": "BUY", "positionSide": "SHORT", "status": "CANCELED",
    "stopPrice": "9300", "closePosition": false, "symbol": "BTCUSDT", "timeInForce": "GTC", "type": "TRAILING_STOP_MARKET",
    "activatePrice": "9020", "priceRate": "0.3", "updateTime": 1571110484038, "workingType": "CONTRACT_PRICE", "priceProtect": false}`,
  forceOrders: `[
    {"orderId": 6071832819, "symbol": "BTCUSDT", "status": "FILLED", "clientOrderId": "autoclose-1596107620040000020", "price": "10871.09",
     "avgPrice": "10913.21000", "origQty": "0.001", "executedQty": "0.001", "cumQuote": "10.91321", "timeInForce": "IOC", "type": "LIMIT",
     "reduceOnly": false, "closePosition": false, "side": "SELL", "positionSide": "BOTH", "stopPrice": "0", "workingType": "CONTRACT_PRICE",
     "origType": "LIMIT", "time": 1596107620044, "updateTime": 1596107620087}
  ]`,
  balance: `[{"accountAlias": "SgsR", "asset": "USDT", "balance": "122607.35137903", "crossWalletBalance": "23.72469206", "crossUnPnl": "0.00000000",
    "availableBalance": "23.72469206", "maxWithdrawAmount": "23.72469206", "marginAvailable": true, "updateTime": 1617939110373}]`,
  positionRiskOneWay: `[{"entryPrice": "0.00000", "marginType": "isolated", "isAutoAddMargin": "false", "isolatedMargin": "0.00000000", "leverage": "10",
    "liquidationPrice": "0", "markPrice": "6679.50671178", "maxNotionalValue": "20000000", "positionAmt": "0.000", "symbol": "BTCUSDT",
    "unRealizedProfit": "0.00000000", "positionSide": "BOTH", "updateTime": 0}]`,
  positionRiskHedge: `[
    {"entryPrice": "6563.66500", "marginType": "isolated", "isAutoAddMargin": "false", "isolatedMargin": "15517.54150468", "leverage": "10",
     "liquidationPrice": "5930.78", "markPrice": "6679.50671178", "maxNotionalValue": "20000000", "positionAmt": "20.000", "symbol": "BTCUSDT",
     "unRealizedProfit": "2316.83423560", "positionSide": "LONG", "updateTime": 1625474304765},
    {"entryPrice": "0.00000", "marginType": "isolated", "isAutoAddMargin": "false", "isolatedMargin": "5413.95799991", "leverage": "10",
     "liquidationPrice": "7189.95", "markPrice": "6679.50671178", "maxNotionalValue": "20000000", "positionAmt": "-10.000", "symbol": "BTCUSDT",
     "unRealizedProfit": "-1156.46711780", "positionSide": "SHORT", "updateTime": 0}
  ]`,
  userTrades: `[{"buyer": false, "commission": "-0.07819010", "commissionAsset": "USDT", "id": 698759, "maker": false, "orderId": 25851813,
    "price": "7819.01", "qty": "0.002", "quoteQty": "15.63802", "realizedPnl": "-0.91539999", "side": "SELL", "positionSide": "SHORT",
    "symbol": "BTCUSDT", "time": 1569514978020}]`,
  listenKey: `{"listenKey": "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"}`,
  empty: `{}`,
  error: `{"code": -1121, "msg": "Invalid symbol."}`,
  cancelAll: `{"code": "200", "msg": "The operation of cancel all open order is done."}`,
  /** the doc writes it with single quotes (not JSON) */
  listenKeyExpired: `{"e": "listenKeyExpired", "E": 1576653824250}`,
  accountUpdate: `{"e": "ACCOUNT_UPDATE", "E": 1564745798939, "T": 1564745798938, "a": {"m": "ORDER",
    "B": [{"a": "USDT", "wb": "122624.12345678", "cw": "100.12345678", "bc": "50.12345678"}, {"a": "BUSD", "wb": "1.00000000", "cw": "0.00000000", "bc": "-49.12345678"}],
    "P": [
      {"s": "BTCUSDT", "pa": "0", "ep": "0.00000", "cr": "200", "up": "0", "mt": "isolated", "iw": "0.00000000", "ps": "BOTH"},
      {"s": "BTCUSDT", "pa": "20", "ep": "6563.66500", "cr": "0", "up": "2850.21200", "mt": "isolated", "iw": "13200.70726908", "ps": "LONG"},
      {"s": "BTCUSDT", "pa": "-10", "ep": "6563.86000", "cr": "-45.04000000", "up": "-1423.15600", "mt": "isolated", "iw": "6570.42511771", "ps": "SHORT"}
    ]}}`,
  orderTradeUpdate: `{"e": "ORDER_TRADE_UPDATE", "E": 1568879465651, "T": 1568879465650, "o": {
    "s": "BTCUSDT", "c": "TEST", "S": "SELL", "o": "TRAILING_STOP_MARKET", "f": "GTC", "q": "0.001", "p": "0", "ap": "0", "sp": "7103.04",
    "x": "NEW", "X": "NEW", "i": 8886774, "l": "0", "z": "0", "L": "0", "N": "USDT", "n": "0", "T": 1568879465651, "t": 0, "b": "0",
    "a": "9.91", "m": false, "R": false, "wt": "CONTRACT_PRICE", "ot": "TRAILING_STOP_MARKET", "ps": "LONG", "cp": false, "AP": "7476.89",
    "cr": "5.0", "rp": "0"}}`,
  marginCall: `{"e": "MARGIN_CALL", "E": 1587727187525, "cw": "3.16812045", "p": [{"s": "ETHUSDT", "ps": "LONG", "pa": "1.327", "mt": "CROSSED", "iw": "0",
    "mp": "187.17127", "up": "-1.166074", "mm": "1.614445"}]}`,
  accountConfigUpdate: `{"e": "ACCOUNT_CONFIG_UPDATE", "E": 1611646737479, "T": 1611646737476, "ac": {"s": "BTCUSDT", "l": 25}}`,
  bookTickerEvent: `{"e": "bookTicker", "u": 400900217, "E": 1568014460893, "T": 1568014460891, "s": "BNBUSDT", "b": "25.35190000", "B": "31.21000000", "a": "25.36520000", "A": "40.66000000"}`,
  aggTradeEvent: `{"e": "aggTrade", "E": 123456789, "s": "BTCUSDT", "a": 5933014, "p": "0.001", "q": "100", "f": 100, "l": 105, "T": 123456785, "m": true}`
}

export const spot = {
  time: `{"serverTime": 1499827319559}`,
  exchangeInfo: `{
    "timezone": "UTC", "serverTime": 1756197279679,
    "rateLimits": [
      {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
      {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
      {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300}
    ],
    "exchangeFilters": [],
    "assets": [{"asset": "USD"}, {"asset": "USDT"}, {"asset": "BNB"}],
    "symbols": [{
      "status": "TRADING", "baseAsset": "BNB", "quoteAsset": "USDT", "pricePrecision": 8, "quantityPrecision": 8,
      "baseAssetPrecision": 8, "quotePrecision": 8,
      "filters": [
        {"minPrice": "0.01000000", "maxPrice": "100000", "filterType": "PRICE_FILTER", "tickSize": "0.01000000"},
        {"stepSize": "0.00100000", "filterType": "LOT_SIZE", "maxQty": "1000", "minQty": "1"},
        {"stepSize": "0.00100000", "filterType": "MARKET_LOT_SIZE", "maxQty": "900000", "minQty": "0.00100000"},
        {"limit": 200, "filterType": "MAX_NUM_ORDERS"},
        {"minNotional": "5", "filterType": "MIN_NOTIONAL"},
        {"maxNotional": "100", "filterType": "MAX_NOTIONAL"},
        {"maxNotional": "100", "minNotional": "5", "avgPriceMins": 5, "applyMinToMarket": true, "filterType": "NOTIONAL", "applyMaxToMarket": true},
        {"multiplierDown": "0", "multiplierUp": "5", "multiplierDecimal": "0", "filterType": "PERCENT_PRICE"},
        {"bidMultiplierUp": "5", "askMultiplierUp": "5", "bidMultiplierDown": "0", "avgPriceMins": 5, "multiplierDecimal": "0", "filterType": "PERCENT_PRICE_BY_SIDE", "askMultiplierDown": "0"}
      ],
      "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"],
      "timeInForce": ["GTC", "IOC", "FOK", "GTX", "HIDDEN"],
      "symbol": "BNBUSDT",
      "ocoAllowed": false
    }]
  }`,
  depth: `{"lastUpdateId": 1027024, "E": 1589436922972, "T": 1589436922959, "bids": [["4.00000000", "431.00000000"]], "asks": [["4.00000200", "12.00000000"]]}`,
  price: `{"symbol": "ADAUSDT", "price": "1.30000000", "time": 1649666690902}`,
  /** the doc misses the comma before "time" */
  bookTicker: `{"symbol": "LTCBTC", "bidPrice": "4.00000000", "bidQty": "431.00000000", "askPrice": "4.00000200", "askQty": "9.00000000", "time": 1589437530011}`,
  newOrder: `{"symbol": "BTCUSDT", "orderId": 28, "clientOrderId": "6gCrw2kRUAF9CvJDGP16IP", "updateTime": 1507725176595, "price": "0.00000000",
    "avgPrice": "0.0000000000000000", "origQty": "10.00000000", "cumQty": "0", "executedQty": "10.00000000", "cumQuote": "10.00000000",
    "status": "FILLED", "timeInForce": "GTC", "stopPrice": "0", "origType": "LIMIT", "type": "LIMIT", "side": "SELL"}`,
  cancelOrder: `{"symbol": "BTCUSDT", "orderId": 28, "clientOrderId": "6gCrw2kRUAF9CvJDGP16IP", "updateTime": 1507725176595, "price": "0.00000000",
    "avgPrice": "0.0000000000000000", "origQty": "10.00000000", "cumQty": "0", "executedQty": "10.00000000", "cumQuote": "10.00000000",
    "status": "CANCELED", "timeInForce": "GTC", "stopPrice": "0", "origType": "LIMIT", "type": "LIMIT", "side": "SELL"}`,
  queryOrder: `{"orderId": 38, "symbol": "ADA25SLP25", "status": "FILLED", "clientOrderId": "afMd4GBQyHkHpGWdiy34Li", "price": "20",
    "avgPrice": "12.0000000000000000", "origQty": "10", "executedQty": "10", "cumQuote": "120", "timeInForce": "GTC", "type": "LIMIT",
    "side": "BUY", "stopPrice": "0", "origType": "LIMIT", "time": 1649913186270, "updateTime": 1649913186297}`,
  openOrders: `[{"orderId": 349661, "symbol": "BNBUSDT", "status": "NEW", "clientOrderId": "LzypgiMwkf3TQ8wwvLo8RA", "price": "1.10000000",
    "avgPrice": "0.0000000000000000", "origQty": "5", "executedQty": "0", "cumQuote": "0", "timeInForce": "GTC", "type": "LIMIT",
    "side": "BUY", "stopPrice": "0", "origType": "LIMIT", "time": 1756252940207, "updateTime": 1756252940207}]`,
  account: `{"feeTier": 0, "canTrade": true, "canDeposit": true, "canWithdraw": true, "canBurnAsset": true, "updateTime": 0,
    "balances": [{"asset": "BTC", "free": "4723846.89208129", "locked": "0.00000000"}, {"asset": "LTC", "free": "4763368.68006011", "locked": "0.00000000"}]}`,
  userTrades: `[{"symbol": "BNBUSDT", "id": 1002, "orderId": 266358, "side": "BUY", "price": "1", "qty": "2", "quoteQty": "2",
    "commission": "0.00105000", "commissionAsset": "BNB", "time": 1755656788798, "counterpartyId": 19, "createUpdateId": null,
    "maker": false, "buyer": true}]`,
  listenKey: `{"listenKey": "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"}`,
  cancelAll: `{"code": 200, "msg": "The operation of cancel all open order is done."}`,
  /** the doc misses the comma after "E" */
  outboundAccountPosition: `{"B": [{"a": "SLP25", "f": "10282.42029415", "l": "653.00000001"}, {"a": "ADA25", "f": "9916.96229880", "l": "34.00510000"}],
    "e": "outboundAccountPosition", "T": 1649926447190, "E": 1649926447205, "m": "WITHDRAW"}`,
  executionReport: `{"s": "ADA25SLP25", "c": "Xzh0gnxT41PStbwqOtXnjD", "S": "SELL", "o": "LIMIT", "f": "GTC", "q": "10.001000", "p": "19.1000000000",
    "ap": "19.0999999955550656", "P": "0", "x": "TRADE", "X": "PARTIALLY_FILLED", "i": 27, "l": "1", "z": "8.999000", "L": "19.1000000000",
    "n": "0.00382000", "N": "SLP25", "T": 1649926447190, "t": 18, "m": true, "ot": "LIMIT", "O": 0, "Z": "171.88089996",
    "Y": "19.1000000000000000", "Q": "0", "e": "executionReport", "E": 1649926447209}`,
  bookTickerEvent: `{"u": 400900217, "s": "BNBUSDT", "b": "25.35190000", "B": "31.21000000", "a": "25.36520000", "A": "40.66000000"}`,
  aggTradeEvent: `{"e": "aggTrade", "E": 123456789, "s": "BNBBTC", "a": 12345, "p": "0.001", "q": "100", "f": 100, "l": 105, "T": 123456785, "m": true, "M": true}`
}
