/** The registry options of `%kafka connect`: `--registry URL [--registry-auth-env VAR]`. */
import { MagicError, type ParsedMagicArgs } from "../core";
import { RegistryClient } from "../registry";
import type { RegistryTarget } from "./registry";

/** The registry `%kafka connect` names, with its basic auth read from the environment (never from the cell). */
export function registryOptions(args: ParsedMagicArgs): RegistryTarget | undefined {
  const url = args.string("registry");
  const authEnv = args.string("registry-auth-env");
  if (!url) {
    if (authEnv) throw new MagicError("%kafka connect: --registry-auth-env goes with --registry URL (the registry it authenticates to)");
    return undefined;
  }
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw new MagicError(`%kafka connect: --registry must be the registry's URL, like http://host:8081, not '${url}'`);
  if (!authEnv) return { url: url.replace(/\/+$/, "") };
  const auth = process.env[authEnv];
  if (auth === undefined) throw new MagicError(`%kafka connect: environment variable ${authEnv} is not set: export it as user:password before starting Jupyter (it is never stored in the notebook)`);
  if (!auth.includes(":")) throw new MagicError(`%kafka connect: ${authEnv} must hold user:password for the registry's basic auth (it holds no ':')`);
  return { url: url.replace(/\/+$/, ""), auth };
}

/** One request to the registry, so a wrong URL or password fails at connect with one line (without the password). */
export async function checkRegistry(target: RegistryTarget): Promise<void> {
  try {
    await new RegistryClient(target.url, target.auth).request("GET", "/subjects");
  } catch (err) {
    const e = err as { status?: number; message?: string; cause?: { code?: string; message?: string } };
    const why = e.status === 401 || e.status === 403 ? `HTTP ${e.status}: the registry refused the credentials in --registry-auth-env` : e.status ? `HTTP ${e.status}` : (e.cause?.code ?? e.cause?.message ?? e.message ?? String(err));
    throw new MagicError(`%kafka connect: the schema registry at ${target.url} does not answer (${why}); check --registry`);
  }
}
