// Writes a small BERT-style sentence model that transformers.js loads like a downloaded one (the model hub is out of
// reach here). Words of one synonym group share an embedding row, so similarity assertions mean something.
// Default: embeddings only (tens of ms to load). `layers > 0` adds real pre-LN transformer layers (attention + GELU
// feed-forward) so a benchmark can be dominated by model compute, as with all-MiniLM-L6-v2 (6 × 384-d, 12 heads).
// Files: config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx (fp32), onnx/model_quantized.onnx (q8:
// transformers.js appends `_quantized` for q8, `_fp16` for fp16, `_q4` for q4; in layers, q8 uses
// DynamicQuantizeLinear + MatMulInteger as onnxruntime's dynamic quantization does).

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { LETTERS, PUNCTUATION, STOPWORDS, SYNONYM_GROUPS, buildVocab } from './tiny-vocab.ts';

export { SYNONYM_GROUPS, STOPWORDS } from './tiny-vocab.ts';

const { onnx } = onnxProto;
type Node = InstanceType<typeof onnx.NodeProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;
type Attr = InstanceType<typeof onnx.AttributeProto>;

/** Model id the tests use under a models folder: `<modelsDir>/solo/tiny-bert`. */
export const TINY_MODEL_ID = 'solo/tiny-bert';

export interface TinyModelOptions {
  /** Width of every vector (default 64; 384 is MiniLM's). */
  hidden?: number;
  /** Transformer layers after the embeddings (default 0). */
  layers?: number;
  /** Attention heads per layer (default hidden / 32). */
  heads?: number;
  /** Feed-forward width (default 4 × hidden). */
  intermediate?: number;
  /** Synonym groups (default SYNONYM_GROUPS). */
  groups?: readonly (readonly string[])[];
  /** Weights files to write (default fp32 and q8). */
  dtypes?: readonly ('fp32' | 'q8')[];
  seed?: number;
  maxPositions?: number;
}

export interface TinyModel {
  dir: string;
  hidden: number;
  layers: number;
  vocabSize: number;
  files: string[];
}

/** Seeded PRNG (mulberry32) with a Gaussian helper: the same options give byte-identical files. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  return { next, gauss };
}

function randomRow(gauss: () => number, dim: number, norm: number): Float32Array {
  const row = new Float32Array(dim);
  let sum = 0;
  for (let i = 0; i < dim; i++) sum += (row[i] = gauss()) ** 2;
  const scale = norm / Math.sqrt(sum || 1);
  for (let i = 0; i < dim; i++) row[i] = (row[i] ?? 0) * scale;
  return row;
}

const F = onnx.TensorProto.DataType.FLOAT;
const I64 = onnx.TensorProto.DataType.INT64;

const bytes = (a: Float32Array | BigInt64Array | Int8Array | Uint8Array) =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const floatTensor = (name: string, dims: number[], data: Float32Array): Tensor =>
  onnx.TensorProto.create({ name, dims, dataType: F, rawData: bytes(data) });
const int64Tensor = (name: string, dims: number[], values: number[]): Tensor =>
  onnx.TensorProto.create({ name, dims, dataType: I64, rawData: bytes(BigInt64Array.from(values.map(BigInt))) });

function attr(name: string, value: number | number[] | string): Attr {
  if (typeof value === 'string')
    return onnx.AttributeProto.create({
      name,
      type: onnx.AttributeProto.AttributeType.STRING,
      s: new TextEncoder().encode(value),
    });
  if (Array.isArray(value))
    return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: value });
  return Number.isInteger(value)
    ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: value })
    : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value });
}

/** Collects nodes and initializers; `op` returns the output name so graphs read like expressions. */
class GraphBuilder {
  nodes: Node[] = [];
  inits: Tensor[] = [];
  #n = 0;
  readonly quantize: boolean;
  #quantized = new Map<string, [string, string, string]>();
  constructor(quantize: boolean) {
    this.quantize = quantize;
  }
  op(type: string, inputs: string[], attrs: Record<string, number | number[] | string> = {}, outputs = 1): string {
    const base = `${type.toLowerCase()}_${this.#n++}`;
    const names = Array.from({ length: outputs }, (_, i) => (i === 0 ? base : `${base}_${i}`));
    this.nodes.push(
      onnx.NodeProto.create({
        opType: type,
        input: inputs,
        output: names,
        name: base,
        attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)),
      }),
    );
    return base;
  }
  init(tensor: Tensor): string {
    this.inits.push(tensor);
    return tensor.name;
  }
  const(name: string, value: number): string {
    return this.init(floatTensor(name, [], Float32Array.of(value)));
  }
  /** x · W + b; in q8 mode with uint8 dynamic activations and int8 weights (per-tensor, symmetric). */
  linear(x: string, name: string, w: Float32Array, rows: number, cols: number, b: Float32Array): string {
    let y: string;
    if (!this.quantize) {
      y = this.op('MatMul', [x, this.init(floatTensor(`${name}.weight`, [rows, cols], w))]);
    } else {
      let q = this.#quantized.get(x);
      if (!q) {
        const base = this.op('DynamicQuantizeLinear', [x], {}, 3);
        q = [base, `${base}_1`, `${base}_2`];
        this.#quantized.set(x, q);
      }
      const max = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
      const scale = max / 127;
      const wq = Int8Array.from(w, (v) => Math.max(-127, Math.min(127, Math.round(v / scale))));
      const wName = this.init(
        onnx.TensorProto.create({
          name: `${name}.weight_q`,
          dims: [rows, cols],
          dataType: onnx.TensorProto.DataType.INT8,
          rawData: bytes(wq),
        }),
      );
      const wZero = this.init(
        onnx.TensorProto.create({
          name: `${name}.weight_zp`,
          dims: [],
          dataType: onnx.TensorProto.DataType.INT8,
          rawData: new Uint8Array(1),
        }),
      );
      const acc = this.op('MatMulInteger', [q[0], wName, q[2], wZero]);
      const scaleAll = this.op('Mul', [q[1], this.const(`${name}.weight_scale`, scale)]);
      y = this.op('Mul', [this.op('Cast', [acc], { to: F }), scaleAll]);
    }
    return this.op('Add', [y, this.init(floatTensor(`${name}.bias`, [cols], b))]);
  }
}

export async function generateTinyModel(dir: string, options: TinyModelOptions = {}): Promise<TinyModel> {
  const hidden = options.hidden ?? 64;
  const layers = options.layers ?? 0;
  const heads = options.heads ?? Math.max(1, Math.floor(hidden / 32));
  const intermediate = options.intermediate ?? hidden * 4;
  const maxPositions = options.maxPositions ?? 512;
  const groups = options.groups ?? SYNONYM_GROUPS;
  const dtypes = options.dtypes ?? ['fp32', 'q8'];
  if (hidden % heads !== 0) throw new Error(`hidden (${hidden}) must be a multiple of heads (${heads})`);

  const vocab = buildVocab(groups);
  const { gauss } = rng(options.seed ?? 42);

  // Embedding rows: one unit vector per synonym group; small rows for words that carry little meaning.
  const wordEmb = new Float32Array(vocab.length * hidden);
  const groupRows = groups.map(() => randomRow(gauss, hidden, 1));
  const groupOf = new Map<string, number>();
  groups.forEach((g, i) => g.forEach((w) => groupOf.set(w.toLowerCase(), i)));
  const small = new Set<string>([...STOPWORDS, ...PUNCTUATION]);
  const pieces = new Set<string>([...LETTERS, ...LETTERS.map((l) => `##${l}`)]);
  vocab.forEach((token, id) => {
    const g = groupOf.get(token);
    const row =
      token === '[PAD]'
        ? randomRow(gauss, hidden, 0.5) // as in real models, padding positions are not zeros
        : g !== undefined
          ? (groupRows[g] ?? new Float32Array(hidden))
          : pieces.has(token)
            ? randomRow(gauss, hidden, 0.15)
            : small.has(token)
              ? randomRow(gauss, hidden, 0.08)
              : randomRow(gauss, hidden, 0.05); // [UNK], [CLS], [SEP], [MASK]
    wordEmb.set(row, id * hidden);
  });
  const posEmb = new Float32Array(maxPositions * hidden).map(() => gauss() * 0.002);
  const typeEmb = new Float32Array(2 * hidden).map(() => gauss() * 0.002);
  const maskEmb = new Float32Array(hidden).map(() => gauss() * 0.002);

  const files: string[] = [];
  await mkdir(join(dir, 'onnx'), { recursive: true });
  for (const dtype of dtypes) {
    const { gauss: layerGauss } = rng((options.seed ?? 42) + 1); // same layer weights for every dtype
    const w = (n: number, std: number) => new Float32Array(n).map(() => layerGauss() * std);
    const g = new GraphBuilder(dtype === 'q8');
    const words = g.op('Gather', [
      g.init(floatTensor('embeddings.word', [vocab.length, hidden], wordEmb)),
      'input_ids',
    ]);
    const seqLen = g.op('Gather', [g.op('Shape', ['input_ids']), g.init(int64Tensor('one_index', [], [1]))]);
    const positions = g.op('Range', [
      g.init(int64Tensor('zero', [], [0])),
      seqLen,
      g.init(int64Tensor('one', [], [1])),
    ]);
    const pos = g.op('Gather', [g.init(floatTensor('embeddings.position', [maxPositions, hidden], posEmb)), positions]);
    const types = g.op('Gather', [
      g.init(floatTensor('embeddings.token_type', [2, hidden], typeEmb)),
      'token_type_ids',
    ]);
    const maskF = g.op('Cast', ['attention_mask'], { to: F });
    // Attended tokens get a small extra vector: the mask is an input that shapes the output even without layers.
    const maskVec = g.op('Mul', [
      g.op('Unsqueeze', [maskF, g.init(int64Tensor('axes_last', [1], [-1]))]),
      g.init(floatTensor('embeddings.attended', [hidden], maskEmb)),
    ]);
    let x = g.op('Add', [g.op('Add', [g.op('Add', [words, pos]), types]), maskVec]);
    const ones = (n: number) => new Float32Array(n).fill(1);
    if (layers > 0) {
      // Additive attention bias [batch, 1, 1, seq]: 0 for tokens, -10000 for padding.
      const bias = g.op('Mul', [g.op('Sub', [g.const('one_f', 1), maskF]), g.const('neg_big', -10000)]);
      const bias4 = g.op('Unsqueeze', [bias, g.init(int64Tensor('axes_1_2', [2], [1, 2]))]);
      const headShape = g.init(int64Tensor('head_shape', [4], [0, 0, heads, hidden / heads]));
      const flatShape = g.init(int64Tensor('flat_shape', [3], [0, 0, hidden]));
      const ln = (input: string, name: string) =>
        g.op(
          'LayerNormalization',
          [
            input,
            g.init(floatTensor(`${name}.gamma`, [hidden], ones(hidden))),
            g.init(floatTensor(`${name}.beta`, [hidden], new Float32Array(hidden))),
          ],
          { axis: -1, epsilon: 1e-12 },
        );
      for (let l = 0; l < layers; l++) {
        const p = `layer${l}`;
        const h = ln(x, `${p}.ln1`);
        const split = (y: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [y, headShape])], { perm });
        const q = split(
          g.linear(h, `${p}.q`, w(hidden * hidden, 0.02), hidden, hidden, new Float32Array(hidden)),
          [0, 2, 1, 3],
        );
        const k = split(
          g.linear(h, `${p}.k`, w(hidden * hidden, 0.02), hidden, hidden, new Float32Array(hidden)),
          [0, 2, 3, 1],
        );
        const v = split(
          g.linear(h, `${p}.v`, w(hidden * hidden, 0.02), hidden, hidden, new Float32Array(hidden)),
          [0, 2, 1, 3],
        );
        const scores = g.op('Add', [
          g.op('Mul', [g.op('MatMul', [q, k]), g.const(`${p}.scale`, 1 / Math.sqrt(hidden / heads))]),
          bias4,
        ]);
        const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
        const merged = g.op('Reshape', [g.op('Transpose', [context], { perm: [0, 2, 1, 3] }), flatShape]);
        // Output projections stay small so the residual stream keeps the synonym structure of the embeddings.
        x = g.op('Add', [
          x,
          g.linear(merged, `${p}.o`, w(hidden * hidden, 0.0005), hidden, hidden, new Float32Array(hidden)),
        ]);
        const up = g.linear(
          ln(x, `${p}.ln2`),
          `${p}.up`,
          w(hidden * intermediate, 0.02),
          hidden,
          intermediate,
          new Float32Array(intermediate),
        );
        // GELU written as exported BERT graphs have it: 0.5·x·(1 + erf(x/√2)); onnxruntime fuses it.
        const erf = g.op('Erf', [g.op('Mul', [up, g.const(`${p}.inv_sqrt2`, Math.SQRT1_2)])]);
        const gelu = g.op('Mul', [
          g.op('Mul', [up, g.op('Add', [erf, g.const(`${p}.one`, 1)])]),
          g.const(`${p}.half`, 0.5),
        ]);
        x = g.op('Add', [
          x,
          g.linear(gelu, `${p}.down`, w(intermediate * hidden, 0.0005), intermediate, hidden, new Float32Array(hidden)),
        ]);
      }
    }
    // Padding positions keep whatever they computed; mean pooling must skip them by the attention mask.
    g.nodes.push(
      onnx.NodeProto.create({ opType: 'Identity', input: [x], output: ['last_hidden_state'], name: 'output' }),
    );

    const dims = (...names: (string | number)[]) => ({
      dim: names.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
    });
    const input = (name: string) => ({
      name,
      type: { tensorType: { elemType: I64, shape: dims('batch_size', 'sequence_length') } },
    });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'solo-os tiny-model',
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'tiny-bert',
        node: g.nodes,
        initializer: g.inits,
        input: [input('input_ids'), input('attention_mask'), input('token_type_ids')],
        output: [
          {
            name: 'last_hidden_state',
            type: { tensorType: { elemType: F, shape: dims('batch_size', 'sequence_length', hidden) } },
          },
        ],
      },
    });
    const file = join('onnx', dtype === 'q8' ? 'model_quantized.onnx' : 'model.onnx');
    await writeFile(join(dir, file), onnx.ModelProto.encode(model).finish());
    files.push(file);
  }

  const config = {
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: hidden,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    intermediate_size: intermediate,
    hidden_act: 'gelu',
    max_position_embeddings: maxPositions,
    type_vocab_size: 2,
    vocab_size: vocab.length,
    pad_token_id: 0,
  };
  await writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(vocab, maxPositions)));
  await writeFile(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify(
      {
        tokenizer_class: 'BertTokenizer',
        do_lower_case: true,
        model_max_length: maxPositions,
        cls_token: '[CLS]',
        sep_token: '[SEP]',
        pad_token: '[PAD]',
        unk_token: '[UNK]',
        mask_token: '[MASK]',
        clean_up_tokenization_spaces: true,
      },
      null,
      2,
    ),
  );
  files.push('config.json', 'tokenizer.json', 'tokenizer_config.json');
  return { dir, hidden, layers, vocabSize: vocab.length, files };
}

/** A Hugging Face tokenizers file: BERT normalizer (lowercase), BERT pre-tokenizer, WordPiece, [CLS] … [SEP]. */
function tokenizerJson(vocab: string[], maxLength: number) {
  const id = (t: string) => vocab.indexOf(t);
  const special = (t: string) => ({
    id: id(t),
    content: t,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: { direction: 'Right', max_length: maxLength, strategy: 'LongestFirst', stride: 0 },
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map(special),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}
