// What a model call costs: a built-in table of common OpenAI models (USD per million tokens, list prices for
// standard processing as published by OpenAI; check them against your bill), overridden by the operator's table
// (policies/prices.yaml, then LLM_PRICES). A model found in no table costs 0 and is reported `priced: false`,
// so local models (Ollama, llama.cpp) are free unless the operator says otherwise.

export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

const p = (inputPerMillion: number, outputPerMillion: number): ModelPrice => ({ inputPerMillion, outputPerMillion });

export const DEFAULT_PRICES: PriceTable = {
  'gpt-5': p(1.25, 10),
  'gpt-5-mini': p(0.25, 2),
  'gpt-5-nano': p(0.05, 0.4),
  'gpt-4.1': p(2, 8),
  'gpt-4.1-mini': p(0.4, 1.6),
  'gpt-4.1-nano': p(0.1, 0.4),
  'gpt-4o': p(2.5, 10),
  'gpt-4o-mini': p(0.15, 0.6),
  'o4-mini': p(1.1, 4.4),
  o3: p(2, 8),
  'o3-mini': p(1.1, 4.4),
  o1: p(15, 60),
  'gpt-4-turbo': p(10, 30),
  'gpt-3.5-turbo': p(0.5, 1.5),
};

/** Later tables win, model by model. */
export function mergePrices(...tables: Array<PriceTable | undefined>): PriceTable {
  return Object.assign({}, ...tables.filter((t) => t !== undefined)) as PriceTable;
}

/**
 * The price of a model: an exact entry, else the longest entry the name starts with when the next character is a
 * separator, so `gpt-4o-2024-08-06` is priced as `gpt-4o` and `llama3.1:8b` as `llama3.1` (but `gpt-4o` never as
 * `gpt-4`).
 */
export function priceOf(model: string, table: PriceTable): ModelPrice | undefined {
  const exact = table[model];
  if (exact) return exact;
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    if (
      model.startsWith(key) &&
      /^[^a-zA-Z0-9]/.test(model.slice(key.length)) &&
      (best === undefined || key.length > best.length)
    )
      best = key;
  }
  return best === undefined ? undefined : table[best];
}

export function costOf(
  model: string,
  promptTokens: number,
  completionTokens: number,
  table: PriceTable,
): { costUsd: number; priced: boolean } {
  const price = priceOf(model, table);
  if (!price) return { costUsd: 0, priced: false };
  const costUsd = (promptTokens * price.inputPerMillion + completionTokens * price.outputPerMillion) / 1_000_000;
  return { costUsd: Math.round(costUsd * 1e9) / 1e9, priced: true };
}
