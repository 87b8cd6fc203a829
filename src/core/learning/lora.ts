import { buildChat, fence, type ChatMessage } from '../answer/prompt';
import type { GroundingContext } from '../grounding/grounding';
import type { LearningPair } from './training';

/**
 * Rung three (ARCHITECTURE.md, "Learning"): training data for a LoRA adapter, trained outside (on the team's GPU),
 * then brought back as a GGUF adapter. The data is exactly what the model is asked at inference —
 * the same system prompt, grounding and examples, from the same chat builder — so what the
 * adapter learns is what it will be asked.
 */

/** Ollama model → the Hugging Face checkpoint it was quantised from, which the adapter must be trained on. */
const HUGGING_FACE_BASES: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^qwen2\.5-coder:(0\.5|1\.5|3|7|14|32)b(?:-instruct)?(?:-q\w+)?$/, (m) => `Qwen/Qwen2.5-Coder-${m[1]!.toUpperCase()}B-Instruct`],
  [/^qwen2\.5:(0\.5|1\.5|3|7|14|32|72)b(?:-instruct)?(?:-q\w+)?$/, (m) => `Qwen/Qwen2.5-${m[1]}B-Instruct`],
  [/^llama3\.2:(1|3)b(?:-instruct)?(?:-q\w+)?$/, (m) => `meta-llama/Llama-3.2-${m[1]}B-Instruct`],
  [/^llama3\.1:(8|70)b(?:-instruct)?(?:-q\w+)?$/, (m) => `meta-llama/Llama-3.1-${m[1]}B-Instruct`],
];

export function huggingFaceBase(ollamaModel: string): string | undefined {
  const name = ollamaModel.toLowerCase();
  for (const [re, id] of HUGGING_FACE_BASES) {
    const m = re.exec(name);
    if (m) return id(m);
  }
  return undefined;
}

/**
 * Families whose Ollama runner applies a GGUF LoRA adapter (the llama.cpp runner). Models Ollama
 * runs on its own newer engine (gemma3, qwen3, llama4, mistral3, gpt-oss …) load none, so an
 * adapter for them is refused before anything is uploaded.
 */
export const ADAPTER_FAMILIES = ['llama', 'qwen2', 'gemma', 'gemma2', 'mistral', 'phi3'];

export function adapterRefusal(base: string, family: string, adapterArchitecture: string | undefined): string | undefined {
  if (!ADAPTER_FAMILIES.includes(family)) {
    return `${base} is a ${family} model, and Ollama loads LoRA adapters only for ${ADAPTER_FAMILIES.join(', ')} models. Train the adapter on one of those (the default, qwen2.5-coder:1.5b, is qwen2).`;
  }
  if (adapterArchitecture && adapterArchitecture !== family) {
    return `The adapter was trained for ${adapterArchitecture}, but ${base} is a ${family} model: an adapter only fits the base it was trained on.`;
  }
  return undefined;
}

/** One training example: the inference chat for the question, with the approved SQL as the reply. */
export function trainingExample(context: GroundingContext, pair: Pick<LearningPair, 'question' | 'sql'>): { messages: ChatMessage[] } {
  const grounding = context.ground(pair.question);
  return { messages: [...buildChat(grounding, pair.question), { role: 'assistant', content: fence(pair.sql) }] };
}

export function exportReadme(input: { base: string; huggingFace: string | undefined; train: number; validation: number; project: string }): string {
  const hf = input.huggingFace ?? '(unknown: find the Hugging Face checkpoint Ollama\'s model was built from)';
  return `# LoRA training data for ${input.project}

Written by \`askdata train export\`. Nothing here was trained: the machines Ask Data is built and
tested on have no GPU and no model weights, so this recipe has not been run by us. It is the
standard one for a model of this size; treat the numbers as a starting point.

- \`train.jsonl\` (${input.train} examples) and \`validation.jsonl\` (${input.validation}): one JSON
  object per line, \`{"messages": [...]}\`, in exactly the chat Ask Data sends at inference (system
  prompt with the grounded schema and rules, approved pairs as examples, the question) with the
  approved SQL as the assistant's reply.
- Ollama base model: \`${input.base}\`
- Hugging Face base to train on: \`${hf}\` — the adapter must be trained on the same
  checkpoint the Ollama model was quantised from, or it will not fit.

## Recipe

1. Train a LoRA adapter with Unsloth or PEFT + TRL's \`SFTTrainer\` on \`train.jsonl\`, using the
   base model's chat template and training on the assistant turns only:
   rank 16, alpha 16–32, dropout 0, learning rate 2e-4, 1–3 epochs (stop when the
   validation loss on \`validation.jsonl\` stops falling), target modules
   q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.
2. Save the adapter (\`adapter_model.safetensors\` + \`adapter_config.json\`).
3. Convert it to GGUF with llama.cpp:
   \`python convert_lora_to_gguf.py --base <the base model's folder> --outtype f16 --outfile adapter.gguf <adapter folder>\`
4. Bring it back: \`askdata train import-adapter --project <project> adapter.gguf\`. Ask Data uploads
   it to Ollama, builds the model with it, evaluates it on held-out approved pairs, and uses it
   only if it answers better than the current model.
`;
}
