/**
 * The experiment file format (experiments/<name>.yaml): a sweep over factors, each point a
 * generated scenario (its steps, with the point's factor values put in, then the measurement
 * repeated), a metric taken from the measurement's result, and a model drawn next to it with the
 * bound it must keep. A TypeBox schema, plain JSON Schema, like the scenario format's.
 */
import { Type, type Static } from "typebox";

const Level = Type.Union([Type.Number(), Type.String({ minLength: 1, maxLength: 40 })]);
const When = Type.Record(Type.String(), Type.Union([Level, Type.Array(Level, { minItems: 1, maxItems: 50 })]), {
  description: "Only at the points whose factors have these levels, e.g. { cache: cold } or { jitterMs: [0, 5, 10] } (any of a list).",
});

export const FactorSchema = Type.Object(
  {
    name: Type.String({ pattern: "^[a-zA-Z][a-zA-Z0-9]{0,39}$", description: "Used as ${name} in steps and as a name in the model." }),
    levels: Type.Array(Level, { minItems: 1, maxItems: 50 }),
    unit: Type.Optional(Type.String({ maxLength: 20 })),
    title: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

export const ModelSchema = Type.Object(
  {
    when: Type.Optional(When),
    expression: Type.String({ minLength: 1, maxLength: 500, description: "Arithmetic on the numeric factors: + - * / ( ), numbers, min(a, b), max(a, b)." }),
  },
  { additionalProperties: false },
);

export const ExperimentSchema = Type.Object(
  {
    name: Type.String({ pattern: "^[a-z0-9][a-z0-9-]{0,63}$", description: "Must equal the file name." }),
    title: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    factors: Type.Array(FactorSchema, { minItems: 1, maxItems: 4, description: "The first is the plot's x axis; a second, if any, its series." }),
    quick: Type.Optional(
      Type.Record(Type.String(), Type.Array(Level, { minItems: 1, maxItems: 10 }), {
        description: "The levels --quick runs, by factor; by default the first and last level of the first factor and the first of the others, once each.",
      }),
    ),
    repetitions: Type.Integer({ minimum: 1, maximum: 100 }),
    steps: Type.Array(Type.Record(Type.String(), Type.Unknown()), {
      maxItems: 50,
      description: "Scenario steps run once at each point before the measurement (faults, say), with ${factor} put in; a step may have when: { factor: level }.",
    }),
    measure: Type.Object(
      {
        steps: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: 20, description: "Scenario steps run at each repetition; ids get -r1, -r2, ..." }),
        metric: Type.Object(
          {
            step: Type.String({ minLength: 1, description: "The id of the measure step whose result holds the metric." }),
            path: Type.String({ minLength: 1, description: "Where in that result, as in assertions (rttMs, timing.totalMs)." }),
            name: Type.String({ minLength: 1, maxLength: 60 }),
            unit: Type.Optional(Type.String({ maxLength: 20 })),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    model: Type.Array(ModelSchema, { minItems: 1, maxItems: 10, description: "The first whose when matches a point gives its model value." }),
    bound: Type.Object(
      {
        relative: Type.Number({ minimum: 0, maximum: 10, description: "The mean may differ from the model by this share of the model..." }),
        absolute: Type.Number({ minimum: 0, description: "...or by this much, in the metric's unit, whichever is larger." }),
        when: Type.Optional(When),
      },
      { additionalProperties: false, description: "How close the measured mean must come to the model, at every point (or those matching when)." },
    ),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3_600_000, description: "A limit on each point's run." })),
  },
  { additionalProperties: false },
);

export type Experiment = Static<typeof ExperimentSchema>;
export type Level = Static<typeof Level>;
export type Point = Record<string, Level>;
