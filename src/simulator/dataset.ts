/**
 * Seeded, deterministic LMS data: the same options always produce the same rows, so tests can compare an
 * export with the truth. Rows live in id order per collection; mutations keep that order.
 */

export type Row = Record<string, unknown> & { id: number };
export type CollectionName = 'users' | 'courses' | 'enrollments' | 'submissions' | 'records' | 'assignments';
export const COLLECTIONS: CollectionName[] = ['users', 'courses', 'enrollments', 'submissions', 'records', 'assignments'];

/** What a deletion leaves behind, for APIs that publish deletions (Ed-Fi `/deletes`). */
export interface Tombstone {
  row: Row;
  changeVersion: number;
}

export interface DatasetOptions {
  seed: number;
  users: number;
  courses: number;
  enrollmentsPerCourse: number;
  submissionsPerCourse: number;
  records: number;
  /** Instead of a fixed `enrollmentsPerCourse`: each course gets 0 to this many (seeded), every 25th none. */
  enrollmentsPerCourseMax?: number;
  /** Assignments per course, each with `submissionsPerAssignment` submissions (courses → assignments → submissions). */
  assignmentsPerCourse?: number;
  submissionsPerAssignment?: number;
}

const FIRST = ['Ava', 'Liam', 'Maya', 'Noah', 'Zoe', 'Ethan', 'Aria', 'Lucas', 'Isla', 'Mateo', 'Nia', 'Omar', 'Priya', 'Kenji', 'Sofia', 'Tariq'];
const LAST = ['Garcia', 'Nguyen', 'Okafor', 'Smith', 'Patel', 'Kowalski', 'Haddad', 'Johnson', 'Silva', 'Tanaka', 'Murphy', 'Cohen', 'Ivanova', 'Mensah'];
const SUBJECTS = ['Biology', 'Algebra', 'World History', 'Chemistry', 'Literature', 'Physics', 'Spanish', 'Statistics'];
const BASE_TIME = Date.UTC(2026, 7, 24, 12, 0, 0);

/** mulberry32: a tiny, well-known seeded PRNG; enough for test data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Dataset {
  readonly rows = new Map<CollectionName, Row[]>();
  private readonly nextId = new Map<CollectionName, number>();
  private clock = 0;
  private changeVersion = 0;
  private readonly versions = new Map<string, number>();
  private readonly tombstones = new Map<CollectionName, Tombstone[]>();
  private lastTime = 0;
  private live = false;
  readonly random: () => number;

  constructor(readonly options: DatasetOptions) {
    this.random = seededRandom(options.seed);
    for (const name of COLLECTIONS) {
      this.rows.set(name, []);
      this.nextId.set(name, 1);
    }
    for (let i = 0; i < options.users; i++) this.insert('users', this.makeRow('users'));
    for (let i = 0; i < options.courses; i++) this.insert('courses', this.makeRow('courses'));
    for (let c = 1; c <= options.courses; c++) {
      for (let i = 0; i < options.enrollmentsPerCourse; i++) this.insert('enrollments', this.makeRow('enrollments', c));
      for (let i = 0; i < options.submissionsPerCourse; i++) this.insert('submissions', this.makeRow('submissions', c));
    }
    for (let i = 0; i < options.records; i++) this.insert('records', this.makeRow('records'));
    this.addNested(options);
    this.live = true;
  }

  /** Collections under a parent, generated after the rest so the seeded rows above stay as they were. */
  private addNested(options: DatasetOptions): void {
    const max = options.enrollmentsPerCourseMax;
    if (max !== undefined) {
      for (let c = 1; c <= options.courses; c++) {
        const count = c % 25 === 0 ? 0 : Math.floor(this.random() * (max + 1));
        for (let i = 0; i < count; i++) this.insert('enrollments', this.makeRow('enrollments', c));
      }
    }
    for (let c = 1; c <= options.courses; c++) {
      for (let a = 0; a < (options.assignmentsPerCourse ?? 0); a++) {
        const assignment = this.insert('assignments', this.makeRow('assignments', c));
        for (let i = 0; i < (options.submissionsPerAssignment ?? 0); i++) {
          this.insert('submissions', { ...this.makeRow('submissions', c), assignment_id: assignment.id });
        }
      }
    }
  }

  list(name: CollectionName): Row[] {
    return this.rows.get(name) ?? [];
  }

  /**
   * A timestamp that moves forward with every change. The seeded rows get fixed times in the past; changes made
   * once the dataset is live (while a test exports it) get the wall clock, as a real source stamps them, so an
   * `updated_since` taken from a run's start finds exactly them.
   */
  tick(): string {
    this.clock += 1;
    const seeded = BASE_TIME + this.clock * 1000;
    this.lastTime = this.live ? Math.max(Date.now(), this.lastTime + 1) : seeded;
    return new Date(this.lastTime).toISOString();
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  makeRow(name: CollectionName, courseId?: number): Row {
    const id = this.nextId.get(name) ?? 1;
    const updatedAt = this.tick();
    switch (name) {
      case 'users': {
        const first = this.pick(FIRST);
        const last = this.pick(LAST);
        return {
          id,
          name: `${first} ${last}`,
          sortable_name: `${last}, ${first}`,
          short_name: first,
          sis_user_id: `SIS${String(100000 + id)}`,
          login_id: `${first.toLowerCase()}.${last.toLowerCase()}${id}`,
          email: `${first.toLowerCase()}.${last.toLowerCase()}${id}@students.example.edu`,
          created_at: updatedAt,
          updated_at: updatedAt,
        };
      }
      case 'courses':
        return {
          id,
          name: `${this.pick(SUBJECTS)} ${100 + id}`,
          course_code: `C${id}`,
          sis_course_id: `CRS-${2026}-${id}`,
          workflow_state: 'available',
          updated_at: updatedAt,
        };
      case 'enrollments':
        return {
          id,
          course_id: courseId ?? 1,
          user_id: 1 + Math.floor(this.random() * Math.max(1, this.options.users)),
          type: this.random() < 0.92 ? 'StudentEnrollment' : 'TeacherEnrollment',
          enrollment_state: 'active',
          role: 'StudentEnrollment',
          updated_at: updatedAt,
        };
      case 'submissions':
        return {
          id,
          course_id: courseId ?? 1,
          assignment_id: 1 + Math.floor(this.random() * 20),
          user_id: 1 + Math.floor(this.random() * Math.max(1, this.options.users)),
          score: Math.round(this.random() * 1000) / 10,
          workflow_state: 'graded',
          updated_at: updatedAt,
        };
      case 'assignments':
        return { id, course_id: courseId ?? 1, name: `Assignment ${id}`, points_possible: 10 * (1 + Math.floor(this.random() * 10)), updated_at: updatedAt };
      case 'records':
        return { id, kind: this.pick(['attendance', 'grade', 'login']), value: Math.round(this.random() * 100), updated_at: updatedAt };
    }
  }

  insert(name: CollectionName, row: Row): Row {
    this.list(name).push(row);
    this.nextId.set(name, Math.max(this.nextId.get(name) ?? 1, row.id + 1));
    this.versions.set(`${name}:${row.id}`, this.nextChangeVersion());
    return row;
  }

  /**
   * Ed-Fi change versions: one counter over every change to any collection. Each row carries the version of its
   * last change (kept beside the row, not in it, as the ODS keeps it in a column the API does not return), and
   * each deletion leaves a tombstone with its own version.
   */
  get newestChangeVersion(): number {
    return this.changeVersion;
  }

  versionOf(name: CollectionName, id: number): number {
    return this.versions.get(`${name}:${id}`) ?? 0;
  }

  tombstonesOf(name: CollectionName): Tombstone[] {
    return this.tombstones.get(name) ?? [];
  }

  private nextChangeVersion(): number {
    this.changeVersion += 1;
    return this.changeVersion;
  }

  update(name: CollectionName, id: number, changes: Record<string, unknown>): Row | undefined {
    const row = this.list(name).find((r) => r.id === id);
    if (row !== undefined) {
      Object.assign(row, changes, { updated_at: this.tick() });
      this.versions.set(`${name}:${id}`, this.nextChangeVersion());
    }
    return row;
  }

  /** Puts a deleted row back where its id belongs (paging walks rows in id order). */
  restore(name: CollectionName, row: Row): void {
    const rows = this.list(name);
    const at = rows.findIndex((r) => r.id > row.id);
    rows.splice(at < 0 ? rows.length : at, 0, row);
    this.versions.set(`${name}:${row.id}`, this.nextChangeVersion());
  }

  delete(name: CollectionName, id: number): boolean {
    const rows = this.list(name);
    const index = rows.findIndex((r) => r.id === id);
    const [removed] = index >= 0 ? rows.splice(index, 1) : [];
    if (removed !== undefined) this.tombstones.set(name, [...this.tombstonesOf(name), { row: removed, changeVersion: this.nextChangeVersion() }]);
    return index >= 0;
  }

  /** One random insert, update or delete on a collection, as a live LMS would see while we page. */
  mutateOnce(name: CollectionName, kind: 'insert' | 'update' | 'delete'): void {
    const rows = this.list(name);
    if (kind === 'insert') {
      const courseId = (rows[0]?.['course_id'] as number | undefined) ?? undefined;
      this.insert(name, this.makeRow(name, courseId));
      return;
    }
    const victim = rows[Math.floor(this.random() * rows.length)];
    if (victim === undefined) return;
    if (kind === 'update') this.update(name, victim.id, { revision: ((victim['revision'] as number | undefined) ?? 0) + 1 });
    else this.delete(name, victim.id);
  }
}
