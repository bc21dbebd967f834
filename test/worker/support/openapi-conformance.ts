/**
 * Response conformance (issue #10): every response a worker test gets is checked against the
 * Worker's own /openapi.json. The request's method and path find the operation (first mounted
 * match, as the router does); the status must be one the operation declares; a JSON body must
 * validate (JSON Schema 2020-12, @cfworker/json-schema, which runs in workerd) against the
 * schema declared for that status. A request that reaches no documented operation (an unknown
 * path, a method the path does not take) may only answer an error in the document's `Error`
 * shape. `call` (support/worker.ts) throws on a problem, so the test that got the response fails.
 * The (operation, status) pairs reached go to the coverage check (support/openapi-coverage.ts).
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { type OutputUnit, Validator } from '@cfworker/json-schema';
import worker from '../../../src/index';
import { type Operation, operationFor, readSpec, type Spec } from './openapi-spec';

export interface SeenResponse {
  method: string;
  pathname: string;
  status: number;
  contentType: string | null;
  text: string;
}

export interface Conformance {
  /** the documented operation the request reached (none: an unknown path or method) */
  operation: Operation | undefined;
  /** why the response breaks the document, or null */
  problem: string | null;
}

let documentPromise: Promise<Spec> | undefined;

/**
 * The document the Worker itself serves (read once per test file). Its own answer is not checked:
 * /openapi.json is not an operation of the document.
 */
export function servedSpec(env: object): Promise<Spec> {
  documentPromise ??= (async () => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request('http://paywire.test/openapi.json'), env as never, ctx);
    await waitOnExecutionContext(ctx);
    if (response.status !== 200)
      throw new Error(
        `GET /openapi.json answered ${response.status} (${(await response.text()).slice(0, 300)}): the Worker cannot render its own document (a route schema @hono/zod-openapi cannot convert?), so no response can be checked against it`,
      );
    return readSpec(await response.json());
  })();
  documentPromise.catch(() => {
    documentPromise = undefined;
  });
  return documentPromise;
}

const validators = new WeakMap<Spec, Map<string, Validator>>();

/** A validator for one declared schema; `$ref`s resolve against the document's components. */
function validatorFor(spec: Spec, key: string, schema: unknown): Validator {
  const perSpec = validators.get(spec) ?? new Map<string, Validator>();
  validators.set(spec, perSpec);
  let validator = perSpec.get(key);
  if (!validator) {
    const root = { ...structuredClone(schema as object), components: structuredClone(spec.doc.components) };
    validator = new Validator(root, '2020-12', false);
    perSpec.set(key, validator);
  }
  return validator;
}

/** Whether `seen` is what the document declares for the request that produced it. */
export function checkConformance(spec: Spec, seen: SeenResponse): Conformance {
  const operation = operationFor(spec, seen.method.toUpperCase(), seen.pathname);
  const head = seen.method.toUpperCase() === 'HEAD';
  if (!operation) {
    // Undocumented request: only an error in the Error shape may answer it (or a non-API page).
    if (seen.status < 400 || head || !isJson(seen.contentType)) return { operation, problem: null };
    return { operation, problem: bodyProblem(spec, 'Error', { $ref: '#/components/schemas/Error' }, seen) };
  }
  if (!operation.statuses.has(seen.status))
    return {
      operation,
      problem: `${seen.status} is not a status ${operation.label} declares (it declares ${[...operation.statuses].join(', ')})`,
    };
  const schema = operation.responses.get(seen.status);
  if (head || schema === null || schema === undefined) return { operation, problem: null };
  if (!isJson(seen.contentType))
    return {
      operation,
      problem: `${seen.status} declares an application/json body, got content-type ${seen.contentType ?? '(none)'}`,
    };
  return { operation, problem: bodyProblem(spec, `${operation.label} ${seen.status}`, schema, seen) };
}

function bodyProblem(spec: Spec, key: string, schema: unknown, seen: SeenResponse): string | null {
  let body: unknown;
  try {
    body = JSON.parse(seen.text);
  } catch {
    return `body is not JSON: ${JSON.stringify(seen.text.slice(0, 200))}`;
  }
  const result = validatorFor(spec, key, schema).validate(body);
  if (result.valid) return null;
  return `body breaks the schema declared for ${key}:\n${describeErrors(result.errors)}\n  body: ${seen.text.slice(0, 600)}`;
}

/** The innermost failures (the validator also reports every enclosing keyword that failed because of them). */
function describeErrors(errors: OutputUnit[]): string {
  const leaves = errors.filter(
    (e) =>
      !errors.some(
        (other) =>
          other !== e &&
          other.keywordLocation.startsWith(`${e.keywordLocation}/`) &&
          other.instanceLocation.startsWith(e.instanceLocation),
      ),
  );
  return (leaves.length > 0 ? leaves : errors)
    .slice(0, 8)
    .map((e) => `  at ${e.instanceLocation || '#'}: ${e.error} (${e.keywordLocation})`)
    .join('\n');
}

function isJson(contentType: string | null): boolean {
  return contentType !== null && /^application\/(.+\+)?json\b/i.test(contentType);
}
