import * as vscode from 'vscode';
import { DEFAULT_KEEP_ALIVE, DEFAULT_MODEL, DEFAULT_NUM_CTX, OllamaClient, resolveOllamaHost, type OllamaStatus } from '../adapters/ollama';

/**
 * The local model's state, for the status bar, the onboarding and answering. Ollama is polled
 * slowly while things are fine and every few seconds while the person is setting it up, so the
 * status flips to ready the moment `ollama pull` finishes. The model is warmed up once it is
 * available, so the first question does not wait for it to load.
 */
const POLL_IDLE_MS = 60_000;
const POLL_SETUP_MS = 3_000;
const SETUP_WINDOW_MS = 15 * 60_000;
const DISMISSED_KEY = 'askData.ollama.onboardingDismissed';

export class ModelService implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('askData.model', vscode.StatusBarAlignment.Left, 49);
  private readonly emitter = new vscode.EventEmitter<OllamaStatus>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.item, this.emitter];
  private timer: NodeJS.Timeout | undefined;
  private setupUntil = 0;
  private warmedFor: string | undefined;
  private onboardingShown = false;
  status: OllamaStatus | undefined;
  client: OllamaClient;

  constructor(private readonly state: vscode.Memento, private readonly log: vscode.LogOutputChannel) {
    this.client = this.makeClient();
    this.item.name = 'Ask Data model';
    this.item.text = '$(loading~spin) model';
    this.item.command = 'askData.ollama.setup';
    this.item.show();
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('askData.ollama')) {
        this.client = this.makeClient();
        this.warmedFor = undefined;
        void this.check();
      }
    }));
  }

  private makeClient(): OllamaClient {
    const c = vscode.workspace.getConfiguration('askData.ollama');
    return new OllamaClient({
      host: resolveOllamaHost(c.get<string>('host') || undefined),
      model: c.get<string>('model') || DEFAULT_MODEL,
      numCtx: c.get<number>('contextLength') || DEFAULT_NUM_CTX,
      keepAlive: c.get<string>('keepAlive') || DEFAULT_KEEP_ALIVE,
    });
  }

  /** The model when it is reachable and pulled. */
  get ready(): OllamaClient | undefined {
    return this.status?.reachable && this.status.modelPulled ? this.client : undefined;
  }

  /** Why there is no model, in a sentence with the fix (shown with recall answers and in the panel). */
  unavailableReason(): string {
    const s = this.status;
    if (!s) return 'The local model has not been checked yet.';
    if (!s.reachable) return `Ollama is not running at ${s.host} (start it with: ollama serve).`;
    if (!s.modelPulled) return `The model ${s.model} is not pulled (ollama pull ${s.model}).`;
    return '';
  }

  start(): void {
    void this.check();
  }

  async check(): Promise<OllamaStatus> {
    if (this.timer) clearTimeout(this.timer);
    const status = await this.client.status();
    const changed = JSON.stringify(status) !== JSON.stringify(this.status);
    this.status = status;
    this.render(status);
    if (changed) {
      this.log.info(`model: ${status.reachable ? `Ollama ${status.version} at ${status.host}` : 'Ollama not reachable'}; ${status.model} ${status.modelPulled ? 'pulled' : 'not pulled'}`);
      this.emitter.fire(status);
    }
    if (status.reachable && status.modelPulled && this.warmedFor !== status.model) {
      this.warmedFor = status.model;
      this.client.warmUp().then(() => this.log.info(`model ${status.model} loaded`), (e: Error) => this.log.warn(`warm-up failed: ${e.message}`));
    }
    const interval = Date.now() < this.setupUntil && !this.ready ? POLL_SETUP_MS : POLL_IDLE_MS;
    this.timer = setTimeout(() => void this.check(), interval);
    return status;
  }

  private render(s: OllamaStatus): void {
    if (s.reachable && s.modelPulled) {
      this.item.text = `$(hubot) ${s.model}`;
      this.item.tooltip = `Ask Data writes SQL with ${s.model} on Ollama ${s.version} at ${s.host}.`;
      this.item.backgroundColor = undefined;
    } else {
      this.item.text = `$(warning) ${s.reachable ? 'model not pulled' : 'no model'}`;
      this.item.tooltip = `${s.problem}\nQuestions that match approved pairs are still answered (recall). Click to set up the local model.`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    }
    this.item.accessibilityInformation = { label: `Ask Data model: ${this.item.text.replace(/\$\([^)]+\)\s*/, '')}` };
  }

  /** Once a session, when a question is about to be asked without a model (unless dismissed for good). */
  offerSetup(): void {
    if (this.ready || this.onboardingShown || this.state.get<boolean>(DISMISSED_KEY) || !this.status) return;
    this.onboardingShown = true;
    void this.onboard(false);
  }

  /** The onboarding: what is missing, the exact command, and a button that does it. */
  async onboard(explicit: boolean): Promise<void> {
    // Asked for by the person: look again, Ollama may have been started since the last check.
    const s = explicit || !this.status ? await this.check() : this.status;
    if (s.reachable && s.modelPulled) {
      if (explicit) void vscode.window.showInformationMessage(`Ask Data is using ${s.model} on Ollama ${s.version} at ${s.host}.`);
      return;
    }
    const pull = `ollama pull ${s.model}`;
    if (s.reachable) {
      const choice = await vscode.window.showInformationMessage(
        `Ask Data needs the model ${s.model} (about 1 GB, Apache-2.0) to write SQL. Until then it answers only questions that match approved pairs. Command: ${pull}`,
        'Pull Model', 'Run in Terminal', ...(explicit ? [] : ["Don't Show Again"]),
      );
      if (choice === 'Pull Model') await this.pull();
      else if (choice === 'Run in Terminal') this.runInTerminal(pull);
      else if (choice === "Don't Show Again") await this.state.update(DISMISSED_KEY, true);
      return;
    }
    const install = process.platform === 'darwin' ? 'brew install ollama && ollama serve' : process.platform === 'win32' ? 'winget install Ollama.Ollama' : 'curl -fsSL https://ollama.com/install.sh | sh';
    // Three buttons at most: a fourth squeezes the notification's source label into a stray letter.
    const choice = await vscode.window.showInformationMessage(
      `Ollama is not running at ${s.host}. Ask Data writes SQL with a local model: install Ollama (${install}), then run ${pull}. Until then, questions that match approved pairs are answered from them.`,
      'Install Ollama', 'Pull Model', explicit ? 'Settings' : "Don't Show Again",
    );
    if (choice === 'Install Ollama') this.runInTerminal(`${install}${process.platform === 'darwin' ? '' : ` && ${pull}`}`);
    else if (choice === 'Pull Model') this.runInTerminal(pull);
    else if (choice === 'Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'askData.ollama');
    else if (choice === "Don't Show Again") await this.state.update(DISMISSED_KEY, true);
  }

  private runInTerminal(command: string): void {
    const terminal = vscode.window.createTerminal({ name: 'Ask Data: Ollama' });
    terminal.show();
    // Not executed on our behalf without a look: the person presses Enter.
    terminal.sendText(command, false);
    this.watchSetup();
  }

  private watchSetup(): void {
    this.setupUntil = Date.now() + SETUP_WINDOW_MS;
    void this.check();
  }

  /** Pulls through Ollama's API with progress in a notification; cancellable. */
  async pull(): Promise<void> {
    const model = this.client.name;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Pulling ${model}`, cancellable: true }, async (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      let last = 0;
      try {
        await this.client.pull((p) => {
          const pct = p.fraction === undefined ? undefined : Math.round(p.fraction * 100);
          progress.report({ message: pct === undefined ? p.status : `${p.status} ${pct}%`, ...(pct !== undefined && pct > last ? { increment: pct - last } : {}) });
          if (pct !== undefined) last = Math.max(last, pct);
        }, controller.signal);
        void vscode.window.showInformationMessage(`${model} is ready: Ask Data now writes SQL with it.`);
      } catch (e) {
        if (!controller.signal.aborted) void vscode.window.showErrorMessage(`Could not pull ${model}: ${(e as Error).message}`);
      }
    });
    await this.check();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
