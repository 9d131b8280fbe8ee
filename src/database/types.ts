/** One page of a listing, with the total over all pages. */
export interface Page<T> {
  items: T[];
  total: number;
}
