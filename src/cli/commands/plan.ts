import type { Command } from 'commander';
import { printJson } from '../output';
import { buildPlan, parseShard, shardJobs, writePlan, type PlanOptions } from '../plan/plan';

/**
 * `heatcheck plan`: writes a study's map jobs (case x model x method x seed, and the randomized
 * models of cascading randomization: case x model at a cascade step x method), each with its
 * estimated cost (model passes, from the method catalog) and its key (the map's path under the
 * output folder), for `maps --plan` to run whole, in cost-balanced shards (--shard i/n) or with
 * --jobs N. stdout: counts, total cost, and the cost of each of --shards n parts.
 */
export interface PlanCommandOptions extends PlanOptions {
  out: string;
  shards?: string;
}

export async function runPlan(o: PlanCommandOptions): Promise<Record<string, unknown>> {
  const plan = await buildPlan(o);
  writePlan(o.out, plan);
  const n = o.shards ? parseShard(`0/${o.shards}`).n : 1;
  const byMethod: Record<string, { jobs: number; cost: number }> = {};
  for (const j of plan.jobs) {
    const m = (byMethod[j.method] ??= { jobs: 0, cost: 0 });
    m.jobs++;
    m.cost += j.cost;
  }
  return {
    out: o.out,
    jobs: plan.jobs.length,
    cases: new Set(plan.jobs.map((j) => j.case)).size,
    models: plan.models.map((m) => m.id),
    methods: plan.methods,
    preset: plan.preset,
    seed: plan.seed,
    costUnit: plan.costUnit,
    totalCost: plan.totalCost,
    byMethod,
    randomizationJobs: plan.jobs.filter((j) => j.step !== undefined).length,
    ...(plan.randomization ? { randomization: { steps: plan.randomization.steps, cases: plan.randomization.caseIds, seed: plan.randomization.seed, cascades: Object.fromEntries(plan.models.map((m) => [m.id, Array.isArray(m.cascade) ? m.cascade.length : m.cascade?.unavailable ?? null])) } } : {}),
    ...(n > 1 ? { shardCosts: shardJobs(plan.jobs, n).map((p) => p.reduce((s, j) => s + j.cost, 0)) } : {}),
  };
}

export function register(program: Command): void {
  program
    .command('plan')
    .description('the map jobs of a study (case x model x method x seed) with estimated costs and output keys; writes --out (JSON) for maps --plan')
    .requiredOption('--study <dir>', 'study folder (cases.csv, images/)')
    .requiredOption('--models <dirs>', 'model folders, comma-separated (model.json, shards, manifest.json)')
    .requiredOption('--out <file>', 'plan file (JSON)')
    .option('--methods <ids>', 'method ids, comma-separated (default: the six of the seed study, gradcam,grad,ig,sg,sig,xrai)')
    .option('--preset <p>', 'paper (SPEC defaults) or quick (fewer steps and samples); default paper')
    .option('--cases <ids>', 'only these case ids, comma-separated')
    .option('--seed <s>', 'seed of the noise of every job (default 0)')
    .option('--raw', 'maps are the raw attribution H x W x C')
    .option('--ig-steps <n>', 'interpolation steps of the IG family (ig, sig, xrai)')
    .option('--samples <n>', 'noise samples of the SmoothGrad family (sg, sig)')
    .option('--class <index>', 'the class to explain (softmax or multi-unit outputs)')
    .option('--no-randomization', 'leave out cascading randomization\'s maps (the randomized models\' jobs)')
    .option('--randomization-steps <n>', 'cascade steps to plan: all, or N evenly spaced ending at the fully randomized model (default: paper all, quick 3)')
    .option('--randomization-cases <n>', 'randomize on the first N abnormal cases (default: quick 6, paper all)')
    .option('--randomization-seed <s>', 'seed of the re-initialisation (default 0)')
    .option('--shards <n>', 'also print the estimated cost of each of n cost-balanced shards')
    .action(async (o: PlanCommandOptions) => {
      printJson(await runPlan(o));
    });
}
