/** A small Dockerfile reader: enough to check our rules and to replay the build without Docker. */
export interface Stage {
  name: string;
  from: string;
  /** Sources copied from the build context. */
  copies: string[];
  /** Paths (relative to WORKDIR) copied from another stage. */
  fromBuild: string[];
  user: string | null;
}

export interface Dockerfile {
  args: Record<string, string>;
  stages: Record<string, Stage>;
  /** ENV of the last stage. */
  env: Record<string, string>;
  cmd: string[];
  healthcheck: string | null;
  expose: string[];
  instructions: Array<{ op: string; value: string }>;
}

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const result: Dockerfile = { args: {}, stages: {}, env: {}, cmd: [], healthcheck: null, expose: [], instructions: [] };
  let stage: Stage | undefined;
  for (const line of lines) {
    const [, op = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    const value = rest.trim();
    result.instructions.push({ op: op.toUpperCase(), value });
    switch (op.toUpperCase()) {
      case 'ARG': {
        const [k, v = ''] = value.split('=');
        result.args[k!] = v;
        break;
      }
      case 'FROM': {
        const [, image = '', name = ''] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(value) ?? [];
        const resolved = image.replace(/\$\{(\w+)\}/g, (_m, k: string) => result.args[k] ?? '');
        stage = { name, from: resolved, copies: [], fromBuild: [], user: null };
        result.stages[name] = stage;
        result.env = {};
        break;
      }
      case 'COPY': {
        const parts = value.split(/\s+/);
        const flags = parts.filter((p) => p.startsWith('--'));
        const paths = parts.filter((p) => !p.startsWith('--'));
        const sources = paths.slice(0, -1);
        if (flags.some((f) => f.startsWith('--from='))) stage!.fromBuild.push(...sources.map((s) => s.replace(/^\/app\//, '')));
        else stage!.copies.push(...sources);
        break;
      }
      case 'ENV':
        for (const m of value.matchAll(/(\w+)=("[^"]*"|\S+)/g)) result.env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
        break;
      case 'USER':
        stage!.user = value;
        break;
      case 'CMD':
        result.cmd = JSON.parse(value) as string[];
        break;
      case 'HEALTHCHECK':
        result.healthcheck = value;
        break;
      case 'EXPOSE':
        result.expose.push(...value.split(/\s+/));
        break;
    }
  }
  return result;
}
