import type { LabelSelector, Labels } from '../../events/payloads.js';

/** A compiled label selector: whether a label set matches. */
export type LabelMatcher = (labels: Labels) => boolean;

/** A selector that cannot be compiled, with why. */
export interface SelectorError {
  readonly error: string;
}

/** Whether a compile result is an error. */
export function isSelectorError(value: LabelMatcher | SelectorError): value is SelectorError {
  return typeof value !== 'function';
}

/** The selector each matcher was compiled from: a projection snapshot stores it and recompiles. */
const compiledFrom = new WeakMap<LabelMatcher, LabelSelector>();

/**
 * Compiles a Kubernetes label selector (matchLabels AND every matchExpression). An empty
 * selector matches everything. Requirements the API server would reject (unknown operator, In
 * without values, Exists with values) are errors, never silently widened or narrowed.
 */
export function compileLabelSelector(selector: LabelSelector): LabelMatcher | SelectorError {
  const tests: LabelMatcher[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    tests.push((labels) => Object.hasOwn(labels, key) && labels[key] === value);
  }
  for (const requirement of selector.matchExpressions) {
    const { key, operator } = requirement;
    const values = new Set(requirement.values);
    switch (operator) {
      case 'In':
        if (values.size === 0) return { error: `operator In on ${key} needs values` };
        tests.push((labels) => Object.hasOwn(labels, key) && values.has(labels[key]!));
        break;
      case 'NotIn':
        if (values.size === 0) return { error: `operator NotIn on ${key} needs values` };
        tests.push((labels) => !Object.hasOwn(labels, key) || !values.has(labels[key]!));
        break;
      case 'Exists':
        if (values.size > 0) return { error: `operator Exists on ${key} takes no values` };
        tests.push((labels) => Object.hasOwn(labels, key));
        break;
      case 'DoesNotExist':
        if (values.size > 0) return { error: `operator DoesNotExist on ${key} takes no values` };
        tests.push((labels) => !Object.hasOwn(labels, key));
        break;
      default:
        return { error: `unknown selector operator ${JSON.stringify(operator)} on ${key}` };
    }
  }
  const matcher: LabelMatcher =
    tests.length === 0 ? () => true : (labels) => tests.every((test) => test(labels));
  compiledFrom.set(matcher, selector);
  return matcher;
}

/** The selector `matcher` was compiled from (undefined for a function that is not a matcher). */
export function labelSelectorOf(matcher: unknown): LabelSelector | undefined {
  return typeof matcher === 'function' ? compiledFrom.get(matcher as LabelMatcher) : undefined;
}
