import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HeatcheckError } from '../errors';
import { printJson } from '../output';
import { publishTrustReport, type PublishReportResult } from '../../storage/replica';
import { modelDocId, trustReportProblems } from '../../core/sync/modelResults';
import type { TrustReport } from '../../core/trust/report';

/**
 * `heatcheck publish-report REPORT.json --server URL --user U --password-env VAR`: writes a trust
 * report (from `heatcheck evaluate --out`, or the dashboard's Metrics JSON) to the study database
 * of a sync server, as the dashboard's "Publish report" does (the same documents: one per model,
 * one for the report, its id the content's hash; the same report again writes nothing), so a big
 * headless study shows up on the coordinators' dashboards. The server decides who may: a reader's
 * login is refused (403). The password is read from an environment variable, never from the
 * command line (it would be in the shell history and the process list).
 */

export interface PublishReportOptions { server: string; user: string; passwordEnv: string }

/** The report file, read and checked: a clear error naming the file and the problem. */
export function readReportFile(file: string): TrustReport {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HeatcheckError(code === 'ENOENT' ? 'NOT_FOUND_REPORT' : 'BAD_INPUT_REPORT', code === 'ENOENT' ? `${file} does not exist; give the JSON written by heatcheck evaluate --out (or the dashboard's Metrics JSON).` : `${file} cannot be read: ${(e as Error).message}`);
  }
  let value: unknown;
  try { value = JSON.parse(text); } catch (e) {
    throw new HeatcheckError('BAD_INPUT_REPORT', `${file} is not JSON (${(e as Error).message}); give the JSON written by heatcheck evaluate --out (or the dashboard's Metrics JSON).`);
  }
  const problems = trustReportProblems(value, file);
  if (problems.length) throw new HeatcheckError('BAD_INPUT_REPORT', problems.join(' '), { problems });
  return value as TrustReport;
}

export async function publishReportCommand(file: string, o: PublishReportOptions): Promise<Record<string, unknown>> {
  const url = o.server.trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(url)) throw new HeatcheckError('USAGE_BAD_OPTION', `--server "${o.server}" is not a server address; write it as https://couch.example.org:6984.`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.passwordEnv)) throw new HeatcheckError('USAGE_BAD_OPTION', `--password-env takes the name of an environment variable (letters, digits, _), found "${o.passwordEnv}".`);
  const password = process.env[o.passwordEnv];
  if (password === undefined || password === '') throw new HeatcheckError('USAGE_BAD_OPTION', `The environment variable ${o.passwordEnv} (--password-env) is not set or empty; put the password of ${o.user} in it.`);
  const report = readReportFile(file);
  let res: PublishReportResult;
  try {
    res = await publishTrustReport({ server: url, user: o.user, password }, report);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const err = e as Error & { status?: number };
    throw new HeatcheckError(code === 'FORBIDDEN' ? 'SYNC_FORBIDDEN' : code === 'SERVER_UNREACHABLE' ? 'SYNC_UNREACHABLE' : code === 'NOT_A_HEATCHECK_SERVER' ? 'SYNC_NOT_HEATCHECK' : 'SYNC_FAILED', `${path.basename(file)}: ${err.message}`, err.status ? { status: err.status } : {});
  }
  return {
    ok: true,
    report: path.resolve(file),
    server: url,
    publishedBy: res.already?.publishedBy ?? o.user,
    publishedAt: new Date(res.already?.publishedAt ?? res.publishedAt).toISOString(),
    alreadyPublished: res.already !== null,
    document: res.docId,
    reportId: res.reportId,
    models: await Promise.all(report.models.map(async (m) => ({ id: m.id, document: await modelDocId(m) }))),
    written: res.written,
    modelsWritten: res.modelsWritten,
  };
}

export function register(program: Command): void {
  program
    .command('publish-report')
    .description('publish a trust report (heatcheck evaluate --out, or the dashboard\'s Metrics JSON) to the study database of a sync server, as the dashboard does: a coordinator login; every login on the server can read it, so publish after reading has ended')
    .argument('<report>', 'the trust report JSON')
    .requiredOption('--server <url>', 'the sync server (CouchDB 3, or npm run sync-server), e.g. https://couch.example.org:6984')
    .requiredOption('--user <login>', 'a coordinator login')
    .requiredOption('--password-env <var>', 'the environment variable that holds the password (never the password itself)')
    .action(async (file: string, o: PublishReportOptions) => {
      printJson(await publishReportCommand(file, o));
    });
}
